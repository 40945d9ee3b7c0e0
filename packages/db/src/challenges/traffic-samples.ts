import type { Db } from "../db-types.ts";

// traffic_samples: the shape of recent customer inputs per model (numbers only: sizes,
// formats, layout, lengths, noise floor), a bounded sample per model (challenge-corpus.ts).

/** A finished customer job to measure, with its payload, whether its organisation donates its inputs, and its provider. */
export interface TrafficJobRow {
  id: string;
  finished_at: Date;
  model_id: string;
  slug: string;
  input: unknown;
  output: unknown;
  donates: boolean;
  provider: string | null;
}

export interface LoadTrafficJobsOptions {
  /** Jobs after this one's finish, oldest first. */
  after: Date;
  limit: number;
  /** The protocol's own (challenge) organisation: its jobs are not traffic. */
  protocolOrgId: string;
}

/** Customer jobs that succeeded after `after` and were not refunded, oldest first, at most `limit`. */
export async function loadTrafficJobs(db: Db, opts: LoadTrafficJobsOptions): Promise<TrafficJobRow[]> {
  return db.$queryRaw<TrafficJobRow[]>`
    SELECT j.id, j.finished_at, j.model_id, m.slug, p.input, p.output, o.donates_challenge_inputs AS donates, n.org_id AS provider
    FROM jobs j JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id JOIN organizations o ON o.id = j.org_id
    LEFT JOIN nodes n ON n.id = j.node_id
    WHERE j.state = 'succeeded' AND j.purpose = 'customer' AND j.org_id <> ${opts.protocolOrgId}::uuid
      AND j.finished_at > ${opts.after} AND j.verification <> 'refunded'
    ORDER BY j.finished_at LIMIT ${opts.limit}`;
}

/** Records jobs' input shapes in one statement; idempotent (one sample per job). */
export async function insertTrafficSamples(db: Db, samples: readonly { modelId: string; jobId: string; shape: unknown }[]): Promise<void> {
  if (samples.length === 0) return;
  await db.$executeRaw`
    INSERT INTO traffic_samples (model_id, job_id, sample)
    SELECT * FROM unnest(
      ${samples.map((s) => s.modelId)}::text[],
      ${samples.map((s) => s.jobId)}::uuid[],
      ${samples.map((s) => JSON.stringify(s.shape))}::jsonb[]
    )
    ON CONFLICT (job_id) DO NOTHING`;
}

/** Keeps the newest `perModel` samples of each model. */
export async function trimTrafficSamples(db: Db, opts: { perModel: number }): Promise<void> {
  await db.$executeRaw`
    DELETE FROM traffic_samples t USING (
      SELECT id, row_number() OVER (PARTITION BY model_id ORDER BY id DESC) AS r FROM traffic_samples
    ) old WHERE t.id = old.id AND old.r > ${opts.perModel}`;
}

/** The shape of one recent customer job of this model, drawn at random; null before any traffic. */
export async function drawTrafficSample<Shape = unknown>(db: Db, opts: { modelId: string }): Promise<Shape | null> {
  const rows = await db.$queryRaw<{ sample: Shape }[]>`
    SELECT sample FROM traffic_samples WHERE model_id = ${opts.modelId} ORDER BY random() LIMIT 1`;
  return rows[0]?.sample ?? null;
}
