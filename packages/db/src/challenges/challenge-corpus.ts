import type { Db } from "../db-types.ts";

// challenge_corpus: content from the verified jobs of organisations that opted in (their
// sentences, the lines the OCR model read, the speech the VAD model found and the room
// around it) and each donated input whole (kind 'input'), replayed once in place of a
// rendered challenge. Private to the platform's database; never handed to a provider whose
// node ran or checked the source job (the services' rules, challenge-corpus.ts).

/** Where a corpus item came from: the donated job and the provider whose node ran it. */
export interface CorpusSource {
  sourceJobId: string;
  sourceOrgId: string | null;
}

/** Adds a donated input whole, with its shape, for one replay (uses = 0). */
export async function insertCorpusInput(db: Db, opts: CorpusSource & { modelId: string; input: unknown; shape: unknown }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO challenge_corpus (kind, model_id, input, shape, source_job_id, source_org_id)
    VALUES ('input', ${opts.modelId}, ${JSON.stringify(opts.input)}::jsonb, ${JSON.stringify(opts.shape)}::jsonb, ${opts.sourceJobId}::uuid,
            ${opts.sourceOrgId}::uuid)`;
}

export interface InsertCorpusItemOptions extends CorpusSource {
  /** sentence, line, speech or room. */
  kind: string;
  text: string | null;
  /** 16-bit PCM, for speech and room. */
  audio: Buffer | null;
  durationMs: number | null;
}

/** Adds one piece of content (a sentence, an OCR line, a speech clip or a stretch of room). */
export async function insertCorpusItem(db: Db, opts: InsertCorpusItemOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO challenge_corpus (kind, text, audio, duration_ms, source_job_id, source_org_id)
    VALUES (${opts.kind}, ${opts.text}, ${opts.audio}, ${opts.durationMs}, ${opts.sourceJobId}::uuid, ${opts.sourceOrgId}::uuid)`;
}

/** Keeps the newest `inputsPerModel` whole inputs of each model and `perKind` items of every other kind. */
export async function trimChallengeCorpus(db: Db, opts: { inputsPerModel: number; perKind: number }): Promise<void> {
  await db.$executeRaw`
    DELETE FROM challenge_corpus c USING (
      SELECT id, row_number() OVER (PARTITION BY kind, model_id ORDER BY id DESC) AS r FROM challenge_corpus
    ) old WHERE c.id = old.id AND old.r > CASE WHEN c.kind = 'input' THEN ${opts.inputsPerModel}::int ELSE ${opts.perKind}::int END`;
}

export interface LoadReplayCandidatesOptions {
  modelId: string;
  /** The subject's provider: inputs of jobs its nodes ran (any attempt) or checked are left out. */
  subjectOrgId: string;
  limit: number;
}

/** Unused donated inputs of the model a node of `subjectOrgId` may be sent, a random draw of at most `limit`. */
export async function loadReplayCandidates<Shape = unknown>(
  db: Db,
  opts: LoadReplayCandidatesOptions,
): Promise<{ id: bigint; shape: Shape }[]> {
  return db.$queryRaw<{ id: bigint; shape: Shape }[]>`
    SELECT c.id, c.shape FROM challenge_corpus c
    WHERE c.kind = 'input' AND c.model_id = ${opts.modelId} AND c.uses = 0
      AND c.source_org_id IS DISTINCT FROM ${opts.subjectOrgId}::uuid
      AND NOT EXISTS (SELECT 1 FROM job_attempts a JOIN nodes n ON n.id = a.node_id
                      WHERE a.job_id = c.source_job_id AND n.org_id = ${opts.subjectOrgId}::uuid)
      AND NOT EXISTS (SELECT 1 FROM checks k JOIN nodes n ON n.id = k.checker_node_id
                      WHERE k.job_id = c.source_job_id AND n.org_id = ${opts.subjectOrgId}::uuid)
    ORDER BY random() LIMIT ${opts.limit}`;
}

/**
 * Takes a donated input for good and returns it. Taken only if still unused: two challenges
 * drawing at once never share an input (null for the one that lost).
 */
export async function takeReplayInput(db: Db, opts: { id: bigint }): Promise<unknown | null> {
  const taken = await db.$queryRaw<{ input: unknown }[]>`
    UPDATE challenge_corpus SET uses = uses + 1 WHERE id = ${opts.id} AND uses = 0 RETURNING input`;
  return taken[0]?.input ?? null;
}

export interface TakeCorpusItemsOptions {
  kind: "sentence" | "line" | "speech" | "room";
  /** The subject's provider: items from jobs its nodes ran are left out. */
  subjectOrgId: string;
  limit: number;
}

/** Draws up to `limit` items of a kind, least used first, and counts the use. */
export async function takeCorpusItems(
  db: Db,
  opts: TakeCorpusItemsOptions,
): Promise<{ id: bigint; text: string | null; audio: Buffer | null }[]> {
  return db.$queryRaw<{ id: bigint; text: string | null; audio: Buffer | null }[]>`
    WITH picked AS (
      SELECT id FROM challenge_corpus
      WHERE kind = ${opts.kind} AND source_org_id IS DISTINCT FROM ${opts.subjectOrgId}::uuid
      ORDER BY uses, random() LIMIT ${opts.limit}
    )
    UPDATE challenge_corpus c SET uses = c.uses + 1 FROM picked WHERE c.id = picked.id
    RETURNING c.id, c.text, c.audio`;
}
