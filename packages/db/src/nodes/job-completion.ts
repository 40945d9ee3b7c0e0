import type { Db } from "../db-types.ts";
import { queryFragment, type SqlFragment, sqlFragment } from "../sql-fragment.ts";
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
  await queryFragment(db, sqlFragment`${storeResultSql(opts, null)} SELECT 1`);
}

/**
 * `storeJobResult` for the lease the result is for, in one round trip: stored only while the
 * job runs on `nodeId` at `attempt` with the model and input the receipt names (the fencing
 * token and the receipt's claims, checked by the UPDATE that locks the row). Answers the job
 * as `lockJobForCompletion` reads it, with whether the customer has an endpoint subscribed to
 * `job.succeeded`; null when nothing was stored (read the row to say why).
 */
export async function storeLeasedJobResult(
  db: Db,
  opts: StoreJobResultOptions & { nodeId: string; modelId: string; inputHash: string },
): Promise<(CompletingJobRow & { webhooks: boolean }) | null> {
  const rows = await queryFragment<(CompletingJobRow & { webhooks: boolean })[]>(
    db,
    sqlFragment`${storeResultSql(opts, opts)}
      SELECT id, org_id, state::text AS state, node_id, attempt, price, model_id, input_hash, output_hash, receipt,
             purpose::text AS purpose, cost_milli_cu, unit_price, royalty, royalty_org_id, webhooks FROM j`,
  );
  return rows[0] ?? null;
}

/** The three updates a stored result makes, as CTEs ending in `j` (the job), `p`, `a`; the job's only under `lease`. */
function storeResultSql(opts: StoreJobResultOptions, lease: { nodeId: string; modelId: string; inputHash: string } | null): SqlFragment {
  const jobId = opts.jobId;
  const leased = lease
    ? sqlFragment` AND state = 'running' AND node_id = ${lease.nodeId}::uuid AND attempt = ${opts.attempt}
          AND model_id = ${lease.modelId} AND input_hash = ${lease.inputHash}`
    : sqlFragment``;
  return sqlFragment`
      WITH j AS (
        UPDATE jobs SET state = 'succeeded', output_hash = ${opts.outputHash}, receipt = ${JSON.stringify(opts.receipt)}::jsonb,
          finished_at = now(), lease_expires_at = NULL
        WHERE id = ${jobId}::uuid${leased}
        RETURNING *, EXISTS (SELECT 1 FROM webhook_endpoints w
                             WHERE w.org_id = jobs.org_id AND w.enabled AND 'job.succeeded' = ANY(w.events)) AS webhooks
      ), p AS (
        UPDATE job_payloads SET output = ${JSON.stringify(opts.output)}::jsonb WHERE job_id = (SELECT id FROM j) RETURNING job_id
      ), a AS (
        UPDATE job_attempts SET outcome = 'succeeded', finished_at = now(), inference_ms = ${Math.round(opts.inferenceMs)}
        WHERE job_id = (SELECT id FROM j) AND attempt = ${opts.attempt}
      )`;
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
