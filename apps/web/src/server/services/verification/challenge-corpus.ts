import { sql } from "@proofgrid/db/sql-client";
import { isModelSlug } from "@proofgrid/models/catalog";
import type { ChallengeContent } from "@proofgrid/models/traffic/render-traffic-challenge";
import { type InputShape, measureInput } from "@proofgrid/models/traffic/measure-input";
import { nearestShape } from "@proofgrid/models/traffic/shape-distance";
import { parseWavHeader, readWavSamples } from "@proofgrid/models/audio/wav";
import { logger } from "../../logger.ts";
import { PROTOCOL_ORG_ID } from "./protocol-org.ts";

// What challenges are made of (issue 12):
// - traffic_samples: the shape of recent customer inputs per model (numbers only: sizes,
//   formats, layout, lengths, noise floor; measureInput), a bounded sample per model;
// - challenge_corpus: content from the verified jobs of organisations that opted in
//   (`donates_challenge_inputs`): their sentences, the lines the OCR model read, and the
//   speech the VAD model found, cut out, and the stretches around it (the room); and each
//   donated input whole (kind 'input'), which a challenge replays once, byte for byte, in
//   place of a rendered one. Private to the platform's database, never in a package, and
//   never handed to a provider whose node ran or checked the source job.

/** Shapes kept per model: the newest this many customer jobs. */
const SAMPLES_PER_MODEL = 500;
/** Corpus items kept per kind (sentence, line, speech): the newest this many. */
const CORPUS_PER_KIND = 5_000;
/** Whole donated inputs kept per model, unreplayed: the newest this many. */
const INPUTS_PER_MODEL = 2_000;
/** Unused donated inputs looked at for one replay: the nearest in shape is taken. */
const REPLAY_CANDIDATES = 48;
/** Jobs measured per tick: measuring decodes images and audio. */
const JOBS_PER_TICK = 40;
/** Candidates drawn for one challenge. */
const CANDIDATES = 64;
/** Speech clips kept: 0.3–8 s of what the model marked as speech. */
const CLIP_MIN_S = 0.3;
const CLIP_MAX_S = 8;

let cursor: Date | undefined;

/**
 * Measures the customer jobs finished since the last tick (at most JOBS_PER_TICK, oldest
 * first): their shapes join traffic_samples, and a donor's content joins the corpus.
 * Idempotent (one sample per job); after a restart it looks back an hour.
 */
export async function sampleTraffic(): Promise<number> {
  cursor ??= new Date(Date.now() - 3_600_000);
  const jobs = await sql().$queryRaw<
    { id: string; finished_at: Date; model_id: string; slug: string; input: unknown; output: unknown; donates: boolean; provider: string | null }[]
  >`
    SELECT j.id, j.finished_at, j.model_id, m.slug, p.input, p.output, o.donates_challenge_inputs AS donates, n.org_id AS provider
    FROM jobs j JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id JOIN organizations o ON o.id = j.org_id
    LEFT JOIN nodes n ON n.id = j.node_id
    WHERE j.state = 'succeeded' AND j.purpose = 'customer' AND j.org_id <> ${PROTOCOL_ORG_ID}::uuid
      AND j.finished_at > ${cursor} AND j.verification <> 'refunded'
    ORDER BY j.finished_at LIMIT ${JOBS_PER_TICK}`;
  for (const j of jobs) {
    cursor = j.finished_at;
    if (!isModelSlug(j.slug)) continue;
    try {
      const measured = await measureInput(j.slug, j.input, j.output);
      await sql().$executeRaw`
        INSERT INTO traffic_samples (model_id, job_id, sample) VALUES (${j.model_id}, ${j.id}::uuid, ${JSON.stringify(measured.shape)}::jsonb)
        ON CONFLICT (job_id) DO NOTHING`;
      if (j.donates) {
        await donate(j.id, j.provider, j.slug, j.input, j.output);
        await sql().$executeRaw`
          INSERT INTO challenge_corpus (kind, model_id, input, shape, source_job_id, source_org_id)
          VALUES ('input', ${j.model_id}, ${JSON.stringify(j.input)}::jsonb, ${JSON.stringify(measured.shape)}::jsonb, ${j.id}::uuid, ${j.provider}::uuid)`;
      }
    } catch (err) {
      logger.warn({ err, jobId: j.id }, "traffic sample: input not measured");
    }
  }
  if (jobs.length > 0) await trim();
  return jobs.length;
}

async function donate(jobId: string, provider: string | null, slug: string, input: unknown, output: unknown): Promise<void> {
  const add = (kind: string, text: string | null, audio: Buffer | null, durationMs: number | null) => sql().$executeRaw`
    INSERT INTO challenge_corpus (kind, text, audio, duration_ms, source_job_id, source_org_id)
    VALUES (${kind}, ${text}, ${audio}, ${durationMs}, ${jobId}::uuid, ${provider}::uuid)`;
  if (slug === "encoder-synthetic-minilm") {
    const texts = "texts" in (input as object) ? (input as { texts: string[] }).texts : [(input as { text: string }).text];
    // Whole texts, as their customers wrote them: split into sentences, abbreviations
    // ("Aug. 31") leave fragments no customer sends.
    for (const t of texts.slice(0, 32)) if (t.length >= 2 && t.length <= 2_000) await add("sentence", t, null, null);
  } else if (slug === "ocr-ppocr-v4") {
    const lines = (output as { lines?: { text?: string; confidence?: number }[] }).lines ?? [];
    for (const l of lines.slice(0, 64)) if (l.text && l.text.length >= 2 && l.text.length <= 120 && (l.confidence ?? 0) >= 0.8) await add("line", l.text, null, null);
  } else if (slug === "vad-silero-v5") {
    const file = Buffer.from((input as { audio: string }).audio, "base64");
    const info = parseWavHeader(file);
    const x = readWavSamples(file, info);
    const segments = ((output as { segments?: { start: number; end: number }[] }).segments ?? []).slice(0, 16);
    // The stretches without speech: the recording's room, the background of challenges.
    const total = x.length / info.sampleRate;
    const edges = [0, ...segments.flatMap((s) => [s.start, s.end]), total];
    let rooms = 0;
    for (let i = 0; i + 1 < edges.length && rooms < 4; i += 2) {
      const from = (edges[i] as number) + 0.05;
      const to = Math.min((edges[i + 1] as number) - 0.05, from + 5);
      if (to - from < 0.5) continue;
      const pcm = Int16Array.from(x.subarray(Math.round(from * info.sampleRate), Math.round(to * info.sampleRate)), (v) => Math.max(-32_768, Math.min(32_767, Math.round(v * 32_768))));
      await add("room", null, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), Math.round((to - from) * 1000));
      rooms++;
    }
    for (const s of segments) {
      const len = s.end - s.start;
      if (!(len >= CLIP_MIN_S && len <= CLIP_MAX_S)) continue;
      const from = Math.round(s.start * info.sampleRate);
      const to = Math.min(x.length, Math.round(s.end * info.sampleRate));
      const pcm = Int16Array.from(x.subarray(from, to), (v) => Math.max(-32_768, Math.min(32_767, Math.round(v * 32_768))));
      await add("speech", null, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), Math.round(len * 1000));
    }
  }
}

async function trim(): Promise<void> {
  await sql().$executeRaw`
    DELETE FROM traffic_samples t USING (
      SELECT id, row_number() OVER (PARTITION BY model_id ORDER BY id DESC) AS r FROM traffic_samples
    ) old WHERE t.id = old.id AND old.r > ${SAMPLES_PER_MODEL}`;
  await sql().$executeRaw`
    DELETE FROM challenge_corpus c USING (
      SELECT id, row_number() OVER (PARTITION BY kind, model_id ORDER BY id DESC) AS r FROM challenge_corpus
    ) old WHERE c.id = old.id AND old.r > CASE WHEN c.kind = 'input' THEN ${INPUTS_PER_MODEL}::int ELSE ${CORPUS_PER_KIND}::int END`;
}

/**
 * A donated input to replay as a challenge on a node of `subjectOrgId`, byte for byte: the
 * unused one nearest `shape` (a recent customer job's) among a random draw, taken for good
 * (each is replayed once: a second sending could be recognised, and a donated input reaches
 * at most one provider beyond the ones that ran and checked it). Never one that the
 * subject's provider ran or checked. Null when none of the shape's form is left: the caller
 * renders one instead. A replayed input is real traffic, so no statistic of its payload can
 * tell it from a customer's (bench:por measures it).
 */
export async function drawReplayInput(opts: { modelId: string; subjectOrgId: string; shape: InputShape }): Promise<unknown | null> {
  const rows = await sql().$queryRaw<{ id: bigint; shape: InputShape }[]>`
    SELECT c.id, c.shape FROM challenge_corpus c
    WHERE c.kind = 'input' AND c.model_id = ${opts.modelId} AND c.uses = 0
      AND c.source_org_id IS DISTINCT FROM ${opts.subjectOrgId}::uuid
      AND NOT EXISTS (SELECT 1 FROM job_attempts a JOIN nodes n ON n.id = a.node_id WHERE a.job_id = c.source_job_id AND n.org_id = ${opts.subjectOrgId}::uuid)
      AND NOT EXISTS (SELECT 1 FROM checks k JOIN nodes n ON n.id = k.checker_node_id WHERE k.job_id = c.source_job_id AND n.org_id = ${opts.subjectOrgId}::uuid)
    ORDER BY random() LIMIT ${REPLAY_CANDIDATES}`;
  const at = nearestShape(opts.shape, rows.map((r) => r.shape));
  const pick = rows[at];
  if (!pick) return null;
  // Taken only if still unused: two challenges drawing at once never share an input.
  const taken = await sql().$queryRaw<{ input: unknown }[]>`
    UPDATE challenge_corpus SET uses = uses + 1 WHERE id = ${pick.id} AND uses = 0 RETURNING input`;
  return taken[0]?.input ?? null;
}

/** The shape of one recent customer job of this model, drawn at random; null before any traffic. */
export async function drawTrafficShape(modelId: string): Promise<InputShape | null> {
  const rows = await sql().$queryRaw<{ sample: InputShape }[]>`
    SELECT sample FROM traffic_samples WHERE model_id = ${modelId} ORDER BY random() LIMIT 1`;
  return rows[0]?.sample ?? null;
}

/**
 * Content for one challenge on a node of `subjectOrgId`: candidates from the corpus, least
 * used first, never from a job that provider's nodes ran (they might remember it).
 */
export async function drawChallengeContent(opts: { subjectOrgId: string; kind: "sentence" | "line" | "speech" }): Promise<ChallengeContent> {
  const content = await drawKind(opts.subjectOrgId, opts.kind);
  if (opts.kind === "speech") content.room = [...(await drawKind(opts.subjectOrgId, "room")).speech];
  return content;
}

async function drawKind(subjectOrgId: string, kind: "sentence" | "line" | "speech" | "room"): Promise<ChallengeContent & { room?: Int16Array[] }> {
  const opts = { subjectOrgId, kind };
  const rows = await sql().$queryRaw<{ id: bigint; text: string | null; audio: Buffer | null }[]>`
    WITH picked AS (
      SELECT id FROM challenge_corpus
      WHERE kind = ${opts.kind} AND source_org_id IS DISTINCT FROM ${opts.subjectOrgId}::uuid
      ORDER BY uses, random() LIMIT ${opts.kind === "speech" || opts.kind === "room" ? 16 : CANDIDATES}
    )
    UPDATE challenge_corpus c SET uses = c.uses + 1 FROM picked WHERE c.id = picked.id
    RETURNING c.id, c.text, c.audio`;
  const content: ChallengeContent & { room?: Int16Array[] } = { sentences: [], lines: [], speech: [] };
  for (const r of rows) {
    if (opts.kind === "sentence" && r.text) (content.sentences as string[]).push(r.text);
    if (opts.kind === "line" && r.text) (content.lines as string[]).push(r.text);
    if ((opts.kind === "speech" || opts.kind === "room") && r.audio) {
      const b = Buffer.from(r.audio);
      (content.speech as Int16Array[]).push(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    }
  }
  return content;
}

export const CORPUS_KIND_OF_SLUG: Record<string, "sentence" | "line" | "speech"> = {
  "encoder-synthetic-minilm": "sentence",
  "ocr-ppocr-v4": "line",
  "vad-silero-v5": "speech",
};
