import type { Db } from "../db-types.ts";
import { queryFragment, type SqlFragment, sqlFragment } from "../sql-fragment.ts";
import { BONDED, PROVIDER_FRAUDS } from "../stakes/node-exposures.ts";
import type { JobViewRaw } from "../jobs/job-view-row.ts";
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

/** The node's row after a completion counted toward its experience (the sampling's reads). */
export interface CountedNodeRow {
  completed_jobs: number;
  reputation_score: number;
  /** Its bonded stake (`node:<id>:stake`; null without the account). */
  bonded: bigint | null;
  /** Its provider's proven frauds. */
  frauds: number;
}

/**
 * Stores an accepted result for the lease it is for, in one round trip: stored only while
 * the job runs on `nodeId` at `attempt` with the model and input the receipt names (the
 * fencing token and the receipt's claims, checked by the UPDATE that locks the row). The job
 * succeeds with its output hash and countersigned receipt, its payload gets the output, the
 * attempt is closed with the receipt's inference time, and the node's completed jobs count
 * one more (its row locked after the job's, the order every completion takes them in).
 * Answers the job as `lockJobForCompletion` reads it, with whether the customer has an
 * endpoint subscribed to `job.succeeded`, and the node's counted row (`node`); null when
 * nothing was stored (read the row to say why).
 */
export async function storeLeasedJobResult(
  db: Db,
  opts: StoreJobResultOptions & {
    nodeId: string;
    modelId: string;
    inputHash: string;
    /** Answer the customer's view of the job too (`view`; a wait for it is open): null without. */
    withView?: boolean;
  },
): Promise<(CompletingJobRow & { webhooks: boolean; node: CountedNodeRow | null; view: JobViewRaw | null }) | null> {
  const rows = await queryFragment<
    (CompletingJobRow &
      Partial<ViewRow> & {
        webhooks: boolean;
        n_completed_jobs: number | null;
        n_reputation_score: number | null;
        n_bonded: bigint | string | null;
        n_frauds: number | null;
      })[]
  >(
    db,
    sqlFragment`${storeResultSql(opts)}, n AS (
        UPDATE nodes n SET completed_jobs = n.completed_jobs + 1
        WHERE n.id = ${opts.nodeId}::uuid AND EXISTS (SELECT 1 FROM j)
        RETURNING n.completed_jobs, n.reputation_score, n.region, ${BONDED} AS bonded, ${PROVIDER_FRAUDS} AS frauds
      )
      SELECT j.id, j.org_id, j.state::text AS state, j.node_id, j.attempt, j.price, j.model_id, j.input_hash, j.output_hash,
             j.receipt, j.purpose::text AS purpose, j.cost_milli_cu, j.unit_price, j.royalty, j.royalty_org_id, j.webhooks,
             ${opts.withView === true ? VIEW_COLUMNS : sqlFragment``}
             n.completed_jobs AS n_completed_jobs, n.reputation_score AS n_reputation_score, n.bonded AS n_bonded,
             n.frauds AS n_frauds
      FROM j LEFT JOIN n ON true`,
  );
  const r = rows[0];
  if (!r) return null;
  const { n_completed_jobs, n_reputation_score, n_bonded, n_frauds, ...job } = r;
  // The view as a read after the commit would find it (int8 comes back as text on this path),
  // but for what the rest of the completion's transaction changes: its price and its
  // verification, the caller's to set. An uploaded model's listing processes the output on the
  // way out: that job is read again.
  const view: JobViewRaw | null =
    opts.withView === true && r.processing_org_id === null ? { ...(job as ViewRow), postprocessing: null, processing_options: null } : null;
  const node =
    n_completed_jobs === null || n_reputation_score === null
      ? null
      : {
          completed_jobs: n_completed_jobs,
          reputation_score: n_reputation_score,
          // int8 comes back as text on this path.
          bonded: n_bonded === null ? null : BigInt(n_bonded),
          frauds: n_frauds ?? 0,
        };
  return { ...job, node, view };
}

/** The customer's view of a stored job (selectJobView's columns), and the listing it was submitted under. */
type ViewRow = Omit<JobViewRaw, "postprocessing" | "processing_options"> & { processing_org_id: string | null };

/** The columns of ViewRow that the store's row lacks: read only while a wait is open on the job. */
const VIEW_COLUMNS = sqlFragment`
             j.error, j.client_region, j.verification::text AS verification, j.rerun_of_id, j.max_price_per_cu, j.placement,
             j.reservation_id, j.refunded_amount, j.verification_note, j.created_at, j.started_at, j.finished_at,
             j.pinned_node_id, j.processing_org_id, (SELECT m.slug FROM models m WHERE m.id = j.model_id) AS model_slug,
             n.region AS node_region,
             -- The output as stored: jsonb's key order, as a read gives it.
             (SELECT p.output FROM p) AS output,`;

/** The three updates a stored result makes, as CTEs ending in `j` (the job), `p`, `a`; the job's only under its lease. */
function storeResultSql(opts: StoreJobResultOptions & { nodeId: string; modelId: string; inputHash: string }): SqlFragment {
  const jobId = opts.jobId;
  return sqlFragment`
      WITH j AS (
        UPDATE jobs SET state = 'succeeded', output_hash = ${opts.outputHash}, receipt = ${JSON.stringify(opts.receipt)}::jsonb,
          finished_at = now(), lease_expires_at = NULL
        WHERE id = ${jobId}::uuid AND state = 'running' AND node_id = ${opts.nodeId}::uuid AND attempt = ${opts.attempt}
          AND model_id = ${opts.modelId} AND input_hash = ${opts.inputHash}
        RETURNING *, EXISTS (SELECT 1 FROM webhook_endpoints w
                             WHERE w.org_id = jobs.org_id AND w.enabled AND 'job.succeeded' = ANY(w.events)) AS webhooks
      ), p AS (
        UPDATE job_payloads SET output = ${JSON.stringify(opts.output)}::jsonb WHERE job_id = (SELECT id FROM j) RETURNING job_id, output
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
