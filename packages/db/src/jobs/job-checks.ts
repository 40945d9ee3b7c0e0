import type { Db } from "../db-types.ts";

/** A check of a customer's job as the customer may see it. */
export interface CustomerJobCheckRow {
  id: string;
  kind: string;
  status: string;
  verdict: string | null;
  created_at: Date;
  finished_at: Date | null;
  resolution: string | null;
}

/** The re-executions and disputes of one job, oldest first (planted checks are the platform's tests of its checkers and are left out). */
export async function loadCustomerJobChecks(db: Db, opts: { jobId: string }): Promise<CustomerJobCheckRow[]> {
  return db.$queryRaw<CustomerJobCheckRow[]>`
    SELECT id, kind::text AS kind, status::text AS status, verdict::text AS verdict, created_at, finished_at,
           evidence->>'resolution' AS resolution
    FROM checks WHERE job_id = ${opts.jobId}::uuid AND kind IN ('reexecution', 'dispute') ORDER BY created_at`;
}
