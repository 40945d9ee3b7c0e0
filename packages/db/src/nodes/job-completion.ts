import type { Db } from "../db-types.ts";
import type { NodeJobRow } from "./node-job-row.ts";

export type CompletingJobRow = Pick<
  NodeJobRow,
  | "id"
  | "org_id"
  | "state"
  | "node_id"
  | "attempt"
  | "price"
  | "model_id"
  | "input_hash"
  | "output_hash"
  | "receipt"
  | "purpose"
  | "cost_milli_cu"
  | "unit_price"
> & {
  /** The uploaded model's royalty, part of `price` (int8), and its payee. */
  royalty: bigint | string;
  royalty_org_id: string | null;
};

/** Locks the job a node completes (FOR UPDATE, inside the caller's transaction) and reads it; null when there is none. */
export async function lockJobForCompletion(db: Db, opts: { jobId: string }): Promise<CompletingJobRow | null> {
  const rows = await db.$queryRaw<CompletingJobRow[]>`
      SELECT id, org_id, state::text AS state, node_id, attempt, price, model_id, input_hash, output_hash, receipt,
             purpose::text AS purpose, cost_milli_cu, unit_price, royalty, royalty_org_id
      FROM jobs WHERE id = ${opts.jobId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

export interface StoreJobResultOptions {
  jobId: string;
  attempt: number;
  outputHash: string;
  /** The countersigned receipt, stored as JSON. */
  receipt: unknown;
  output: unknown;
  inferenceMs: number;
}

/**
 * Stores an accepted result: the job succeeds with its output hash and countersigned receipt,
 * its payload gets the output, and the attempt is closed with the receipt's inference time.
 */
export async function storeJobResult(db: Db, opts: StoreJobResultOptions): Promise<void> {
  const jobId = opts.jobId;
  // One round trip for the three rows the result touches.
  await db.$executeRaw`
      WITH j AS (
        UPDATE jobs SET state = 'succeeded', output_hash = ${opts.outputHash}, receipt = ${JSON.stringify(opts.receipt)}::jsonb,
          finished_at = now(), lease_expires_at = NULL
        WHERE id = ${jobId}::uuid RETURNING id
      ), p AS (
        UPDATE job_payloads SET output = ${JSON.stringify(opts.output)}::jsonb WHERE job_id = ${jobId}::uuid RETURNING job_id
      )
      UPDATE job_attempts SET outcome = 'succeeded', finished_at = now(), inference_ms = ${Math.round(opts.inferenceMs)}
      WHERE job_id = ${jobId}::uuid AND attempt = ${opts.attempt}`;
}

/** Sets what the job is charged (below the hold when the worker asked less than the cap). */
export async function updateJobPrice(db: Db, opts: { jobId: string; price: bigint }): Promise<void> {
  await db.$executeRaw`UPDATE jobs SET price = ${opts.price} WHERE id = ${opts.jobId}::uuid`;
}

/** How many items (texts) the job's input holds: its `texts`' length, else 1; null when it has no payload. */
export async function countJobInputItems(db: Db, opts: { jobId: string }): Promise<number | null> {
  const rows = await db.$queryRaw<{ items: number }[]>`
      SELECT CASE WHEN input ? 'texts' THEN jsonb_array_length(input->'texts') ELSE 1 END AS items
      FROM job_payloads WHERE job_id = ${opts.jobId}::uuid`;
  return rows[0]?.items ?? null;
}
