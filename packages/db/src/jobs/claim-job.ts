import type { Db } from "../db-types.ts";

export interface ClaimedJob {
  id: string;
  attempt: number;
  modelId: string;
  orgId: string;
  leaseExpiresAt: Date;
  createdAt: Date;
  input: unknown;
}

export interface ClaimJobOptions {
  nodeId: string;
  /** Model ids (sha256) the node can run. */
  modelIds: readonly string[];
  /** The node runs customers' uploaded models (slug `custom-…`, issue 17) besides `modelIds`;
   * without it a job on one is never claimed, even if the indexer offered it. */
  acceptsCustomModels?: boolean;
  leaseMs: number;
  /** Quarantined nodes run only the challenge jobs pinned to them (an assignment made
   * before the quarantine lapses and is placed elsewhere). */
  pinnedOnly?: boolean;
}

/**
 * Claims the oldest job the indexer assigned to this node (see assignJobs; a challenge job
 * pinned to the node is assigned like any other, so it does not stand out), in one
 * statement: pick with `FOR UPDATE SKIP LOCKED` (a node's concurrent lease slots skip each
 * other's rows instead of waiting), bump the attempt (the fencing token), set the lease,
 * and record the attempt. Returns null when nothing is assigned to the node.
 */
export async function claimJob(db: Db, opts: ClaimJobOptions): Promise<ClaimedJob | null> {
  const acceptsCustom = opts.acceptsCustomModels ?? false;
  if (opts.modelIds.length === 0 && !acceptsCustom) return null;
  const rows = await db.$queryRaw<ClaimedJobRow[]>`
    WITH next AS (
      SELECT id FROM jobs
      WHERE state = 'assigned' AND node_id = ${opts.nodeId}::uuid
        AND (model_id = ANY(${[...opts.modelIds]}::text[])
             OR (${acceptsCustom} AND model_id IN (SELECT m.id FROM models m WHERE m.slug LIKE 'custom-%')))
        AND attempt < max_attempts
        AND (pinned_node_id = ${opts.nodeId}::uuid OR (pinned_node_id IS NULL AND NOT ${opts.pinnedOnly ?? false}))
      ORDER BY assigned_at, created_at
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE jobs j
      SET state = 'running', node_id = ${opts.nodeId}::uuid, attempt = j.attempt + 1,
          lease_expires_at = now() + ${opts.leaseMs} * interval '1 millisecond',
          started_at = coalesce(j.started_at, now())
      FROM next WHERE j.id = next.id
      RETURNING j.id, j.attempt, j.model_id, j.org_id, j.lease_expires_at, j.created_at
    ), attempt_row AS (
      INSERT INTO job_attempts (job_id, attempt, node_id)
      SELECT id, attempt, ${opts.nodeId}::uuid FROM claimed
    )
    SELECT c.id, c.attempt, c.model_id, c.org_id, c.lease_expires_at, c.created_at, p.input
    FROM claimed c JOIN job_payloads p ON p.job_id = c.id`;
  const r = rows[0];
  return r ? claimedJobOf(r) : null;
}

/** A claimed job's columns as a claiming statement returns them (here and assignJobs'). */
export interface ClaimedJobRow {
  id: string;
  attempt: number;
  model_id: string;
  org_id: string;
  lease_expires_at: Date;
  created_at: Date;
  input: unknown;
}

export function claimedJobOf(r: ClaimedJobRow): ClaimedJob {
  return {
    id: r.id,
    attempt: r.attempt,
    modelId: r.model_id,
    orgId: r.org_id,
    leaseExpiresAt: r.lease_expires_at,
    createdAt: r.created_at,
    input: r.input,
  };
}
