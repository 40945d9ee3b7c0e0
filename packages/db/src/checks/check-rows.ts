import type { Db } from "../db-types.ts";

/**
 * A row of `checks` as the verification services read it. `evidence` is JSON whose shape
 * the services own (check-tasks.ts `CheckEvidence`); they name it through the parameter.
 */
export interface CheckRow<Evidence = unknown> {
  id: string;
  kind: string;
  status: string;
  subject_node_id: string;
  subject_org_id: string;
  checker_node_id: string | null;
  job_id: string | null;
  parent_check_id: string | null;
  model_id: string;
  seed: string | null;
  planned_jobs: number;
  attempt: number;
  evidence: Evidence | null;
  planted_output: unknown;
  verdict: string | null;
}

export interface LoadCheckRowOptions {
  id: string;
  /** Lock the row (FOR UPDATE) for the caller's transaction. */
  lock?: boolean;
}

/** One check by id, or null. */
export async function loadCheckRow<Evidence = unknown>(db: Db, opts: LoadCheckRowOptions): Promise<CheckRow<Evidence> | null> {
  const rows = opts.lock
    ? await db.$queryRaw<CheckRow<Evidence>[]>`
      SELECT id, kind::text AS kind, status::text AS status, subject_node_id, subject_org_id, checker_node_id, job_id, parent_check_id,
             model_id, seed, planned_jobs, attempt, evidence, planted_output, verdict::text AS verdict
      FROM checks WHERE id = ${opts.id}::uuid FOR UPDATE`
    : await db.$queryRaw<CheckRow<Evidence>[]>`
      SELECT id, kind::text AS kind, status::text AS status, subject_node_id, subject_org_id, checker_node_id, job_id, parent_check_id,
             model_id, seed, planned_jobs, attempt, evidence, planted_output, verdict::text AS verdict
      FROM checks WHERE id = ${opts.id}::uuid`;
  return rows[0] ?? null;
}
