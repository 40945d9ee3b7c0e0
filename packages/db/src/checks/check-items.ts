import type { Db } from "../db-types.ts";

/** The job a re-execution (or planted) check shows, with its payload. */
export interface JobItemRow {
  id: string;
  /** The job's model (sha256 of its file). */
  model_id: string;
  slug: string;
  input: unknown;
  output: unknown;
  cost_milli_cu: number;
}

/** A challenge check's succeeded job with its payload and the times it was charged. */
export interface ChallengeItemRow extends JobItemRow {
  wall_ms: number | null;
  receipt_ms: number | null;
  lease_ms: number | null;
  claimed: number;
}

export interface LoadChallengeItemRowsOptions {
  checkId: string;
  /** Allowance for the protocol round trip subtracted from lease-to-result time (check-tasks.ts). */
  protocolAllowanceMs: number;
}

/**
 * The succeeded jobs of a challenge check, oldest first. `wall_ms` is what a job is charged:
 * the inference time in its signed receipt, never less than lease-to-result minus the allowance.
 */
export async function loadChallengeItemRows(db: Db, opts: LoadChallengeItemRowsOptions): Promise<ChallengeItemRow[]> {
  return db.$queryRaw<ChallengeItemRow[]>`
    SELECT j.id, j.model_id, m.slug, p.input, p.output, j.cost_milli_cu, n.claimed_cu_per_hour AS claimed, t.receipt_ms, t.lease_ms,
           greatest(coalesce(t.receipt_ms, 0), t.lease_ms - ${opts.protocolAllowanceMs})::float8 AS wall_ms
    FROM jobs j JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id JOIN nodes n ON n.id = j.pinned_node_id
    LEFT JOIN LATERAL (
      SELECT a.inference_ms::float8 AS receipt_ms, (extract(epoch FROM (a.finished_at - a.leased_at)) * 1000)::float8 AS lease_ms
      FROM job_attempts a WHERE a.job_id = j.id AND a.outcome = 'succeeded' LIMIT 1
    ) t ON true
    WHERE j.check_id = ${opts.checkId}::uuid AND j.state = 'succeeded' ORDER BY j.created_at`;
}

/** One job with its model's slug and payload, or null. */
export async function loadJobItemRow(db: Db, opts: { jobId: string | null }): Promise<JobItemRow | null> {
  const rows = await db.$queryRaw<JobItemRow[]>`
    SELECT j.id, j.model_id, m.slug, p.input, p.output, j.cost_milli_cu
    FROM jobs j JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id
    WHERE j.id = ${opts.jobId}::uuid`;
  return rows[0] ?? null;
}
