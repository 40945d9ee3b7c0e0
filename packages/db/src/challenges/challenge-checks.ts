import type { Db } from "../db-types.ts";

export interface InsertChallengeCheckOptions {
  id: string;
  /** registration, standby, latency or canary. */
  kind: string;
  subjectNodeId: string;
  subjectOrgId: string;
  modelId: string;
  seed: string;
  plannedJobs: number;
  epoch: number;
}

/** Opens a challenge check, waiting on its jobs. */
export async function insertChallengeCheck(db: Db, opts: InsertChallengeCheckOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, model_id, seed, planned_jobs, epoch)
    VALUES (${opts.id}::uuid, ${opts.kind}::"CheckKind", 'waiting', ${opts.subjectNodeId}::uuid, ${opts.subjectOrgId}::uuid,
            ${opts.modelId}, ${opts.seed}, ${opts.plannedJobs}, ${opts.epoch})`;
}

/** Records a challenge job's item seed in its check's evidence (`seeds`: job id → seed). */
export async function recordChallengeItemSeed(db: Db, opts: { checkId: string; jobId: string; itemSeed: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE checks SET evidence = jsonb_set(coalesce(evidence, '{}'::jsonb), '{seeds}',
      coalesce(evidence->'seeds', '{}'::jsonb) || jsonb_build_object(${opts.jobId}::text, ${opts.itemSeed}::text))
    WHERE id = ${opts.checkId}::uuid`;
}

/** A challenge check waiting on its jobs, with its subject's models and its jobs counted by state. */
export interface WaitingChallengeCheckRow {
  id: string;
  kind: string;
  seed: string;
  planned_jobs: number;
  subject_node_id: string;
  models: string[];
  total: number;
  /** Jobs queued, assigned or running. */
  open: number;
  succeeded: number;
}

/** Waiting challenge checks, at most 100. */
export async function loadWaitingChallengeChecks(db: Db): Promise<WaitingChallengeCheckRow[]> {
  return db.$queryRaw<WaitingChallengeCheckRow[]>`
    SELECT c.id, c.kind::text AS kind, c.seed, c.planned_jobs, c.subject_node_id, n.models,
           count(j.id)::int AS total,
           count(j.id) FILTER (WHERE j.state IN ('queued', 'assigned', 'running'))::int AS open,
           count(j.id) FILTER (WHERE j.state = 'succeeded')::int AS succeeded
    FROM checks c JOIN nodes n ON n.id = c.subject_node_id LEFT JOIN jobs j ON j.check_id = c.id
    WHERE c.status = 'waiting'
    GROUP BY c.id, n.models
    LIMIT 100`;
}

/**
 * Settles a waiting challenge check as failed because its subject ran none of its jobs.
 * Returns the rows changed: 0 when the check no longer waits (another tick settled it).
 */
export async function failAbandonedChallengeCheck(db: Db, opts: { checkId: string }): Promise<number> {
  const n = await db.$executeRaw`
    UPDATE checks SET status = 'done', verdict = 'fail', finished_at = now(),
                      evidence = coalesce(evidence, '{}'::jsonb) || '{"resolution":"challenge jobs failed"}'::jsonb
    WHERE id = ${opts.checkId}::uuid AND status = 'waiting'`;
  return Number(n);
}

/** A waiting check whose jobs are all done goes to the queue for a checker. */
export async function queueWaitingCheck(db: Db, opts: { checkId: string }): Promise<void> {
  await db.$executeRaw`UPDATE checks SET status = 'queued' WHERE id = ${opts.checkId}::uuid AND status = 'waiting'`;
}

/** The node's open canary, standby and latency checks. */
export async function countOpenChallengeChecks(db: Db, opts: { nodeId: string }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM checks WHERE subject_node_id = ${opts.nodeId}::uuid
      AND kind IN ('canary', 'standby', 'latency') AND status IN ('waiting', 'queued', 'leased')`;
  return rows[0]?.n ?? 0;
}
