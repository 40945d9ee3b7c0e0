import type { Db } from "../db-types.ts";

/** Re-execution checks opened in the last `sinceMs`: planted checks are drawn in proportion. */
export async function countRecentReexecutionChecks(db: Db, opts: { sinceMs: number }): Promise<number> {
  const recent = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM checks WHERE kind = 'reexecution' AND created_at > now() - ${opts.sinceMs} * interval '1 millisecond'`;
  return recent[0]?.n ?? 0;
}

/** A verified customer job of the last day, with the node that ran it and its output. */
export interface VerifiedJobRow {
  id: string;
  model_id: string;
  node_id: string | null;
  node_org: string;
  /** The model's output kind. */
  kind: string;
  output: unknown;
}

/**
 * One verified customer job of the last day, on a catalog or an uploaded model (kind
 * `tensor`, issue 17), drawn at random; null when there is none.
 */
export async function drawVerifiedCustomerJob(db: Db): Promise<VerifiedJobRow | null> {
  const jobs = await db.$queryRaw<VerifiedJobRow[]>`
    SELECT j.id, j.model_id, j.node_id, n.org_id AS node_org, m.kind::text AS kind, p.output
    FROM jobs j JOIN nodes n ON n.id = j.node_id JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id
    WHERE j.verification = 'verified' AND j.purpose = 'customer' AND j.finished_at > now() - interval '1 day'
    ORDER BY random() LIMIT 1`;
  return jobs[0] ?? null;
}

export interface InsertPlantedCheckOptions {
  subjectNodeId: string;
  subjectOrgId: string;
  jobId: string;
  modelId: string;
  /** The deliberately wrong output the checker is shown (stored as JSON). */
  plantedOutput: unknown;
  epoch: number;
}

/** Queues a planted check: the job shown with a wrong output, for a checker to reject. */
export async function insertPlantedCheck(db: Db, opts: InsertPlantedCheckOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, model_id, planted_output, epoch)
    VALUES (gen_random_uuid(), 'planted', 'queued', ${opts.subjectNodeId}::uuid, ${opts.subjectOrgId}::uuid, ${opts.jobId}::uuid,
            ${opts.modelId}, ${JSON.stringify(opts.plantedOutput)}::jsonb, ${opts.epoch})`;
}
