import type { Db } from "../db-types.ts";

/** A job as its owner may see it, with the model and worker it names (get-job's view). */
export interface JobViewRow {
  id: string;
  state: string;
  attempt: number;
  costMilliCu: number;
  price: bigint;
  error: string | null;
  clientRegion: string | null;
  inputHash: string;
  outputHash: string | null;
  receipt: unknown;
  verification: string;
  rerunOfId: string | null;
  maxPricePerCu: bigint | null;
  unitPrice: bigint | null;
  royalty: bigint;
  placement: unknown;
  reservationId: string | null;
  refundedAmount: bigint | null;
  verificationNote: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  pinnedNodeId: string | null;
  model: { id: string; slug: string };
  node: { id: string; region: string } | null;
  /** The output, when asked for and the job has one. */
  output: unknown;
  /** With the output: the processing of the uploaded model's listing the job was submitted
   * under (null for a catalog model, or when that listing is gone — a listing registered again
   * after the job is another listing: its labels never relabel an older job). A listing's
   * processing never changes in place. */
  processing?: { postprocessing: string; options: unknown } | null;
}

/** A job view as a statement answers it (selectJobView; a completion's store returns the same columns). */
export interface JobViewRaw {
  id: string;
  state: string;
  attempt: number;
  cost_milli_cu: number;
  price: string;
  error: string | null;
  client_region: string | null;
  input_hash: string;
  output_hash: string | null;
  receipt: unknown;
  verification: string;
  rerun_of_id: string | null;
  max_price_per_cu: string | null;
  unit_price: string | null;
  royalty: string;
  placement: unknown;
  reservation_id: string | null;
  refunded_amount: string | null;
  verification_note: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  pinned_node_id: string | null;
  model_id: string;
  model_slug: string;
  node_id: string | null;
  node_region: string | null;
  output: unknown;
  postprocessing: string | null;
  processing_options: unknown;
}

const big = (v: string | null): bigint | null => (v === null ? null : BigInt(v));

/**
 * The organisation's job, its model, its worker and (with `withOutput`) its output, in one
 * statement: a customer's wait reads it on every wake-up, where the ORM's relation loading
 * took three round trips (jobs, nodes, payloads). Undefined when the job is not the
 * organisation's.
 */
export async function selectJobView(db: Db, opts: { orgId: string; jobId: string; withOutput: boolean }): Promise<JobViewRow | undefined> {
  const rows = await db.$queryRaw<JobViewRaw[]>`
    SELECT j.id, j.state::text AS state, j.attempt, j.cost_milli_cu, j.price, j.error, j.client_region,
           j.input_hash, j.output_hash, j.receipt, j.verification::text AS verification, j.rerun_of_id,
           j.max_price_per_cu, j.unit_price, j.royalty, j.placement, j.reservation_id, j.refunded_amount,
           j.verification_note, j.created_at, j.started_at, j.finished_at, j.pinned_node_id,
           m.id AS model_id, m.slug AS model_slug, n.id AS node_id, n.region AS node_region,
           CASE WHEN ${opts.withOutput}::boolean THEN p.output END AS output,
           cm.postprocessing::text AS postprocessing, cm.processing_options
    FROM jobs j
    JOIN models m ON m.id = j.model_id
    LEFT JOIN nodes n ON n.id = j.node_id
    LEFT JOIN job_payloads p ON p.job_id = j.id
    LEFT JOIN custom_models cm ON ${opts.withOutput}::boolean AND cm.org_id = j.processing_org_id AND cm.model_id = j.model_id
      AND cm.created_at <= j.created_at
    WHERE j.id = ${opts.jobId}::uuid AND j.org_id = ${opts.orgId}::uuid`;
  const r = rows[0];
  return r ? jobViewRowOf(r) : undefined;
}

/** The view of a row of selectJobView's columns. */
export function jobViewRowOf(r: JobViewRaw): JobViewRow {
  return {
    id: r.id,
    state: r.state,
    attempt: r.attempt,
    costMilliCu: r.cost_milli_cu,
    price: BigInt(r.price),
    error: r.error,
    clientRegion: r.client_region,
    inputHash: r.input_hash,
    outputHash: r.output_hash,
    receipt: r.receipt,
    verification: r.verification,
    rerunOfId: r.rerun_of_id,
    maxPricePerCu: big(r.max_price_per_cu),
    unitPrice: big(r.unit_price),
    royalty: BigInt(r.royalty),
    placement: r.placement,
    reservationId: r.reservation_id,
    refundedAmount: big(r.refunded_amount),
    verificationNote: r.verification_note,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    pinnedNodeId: r.pinned_node_id,
    model: { id: r.model_id, slug: r.model_slug },
    node: r.node_id && r.node_region !== null ? { id: r.node_id, region: r.node_region } : null,
    output: r.output,
    processing: r.postprocessing === null ? null : { postprocessing: r.postprocessing, options: r.processing_options },
  };
}
