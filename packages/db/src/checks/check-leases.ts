import type { Db } from "../db-types.ts";

export interface LeaseNextCheckOptions {
  /** The checker node, its provider and the models it runs. */
  nodeId: string;
  orgId: string;
  models: readonly string[];
  /** The checker runs customers' uploaded models (slug `custom-…`, issue 17) besides `models`. */
  acceptsCustomModels?: boolean;
  leaseMs: number;
}

/**
 * Leases the oldest check this checker may do: a model it runs, a subject of another
 * provider, and for a dispute neither the first checker nor its provider (an independent
 * third executor). Claimed with SKIP LOCKED and a fencing attempt, like jobs. Returns the
 * check's id, or null when none is eligible.
 */
export async function leaseNextCheck(db: Db, opts: LeaseNextCheckOptions): Promise<string | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH next AS (
      SELECT c.id FROM checks c
      WHERE c.status = 'queued' AND c.subject_org_id <> ${opts.orgId}::uuid
        AND (c.model_id = ANY(${opts.models}::text[])
             OR (${opts.acceptsCustomModels ?? false} AND c.model_id IN (SELECT m.id FROM models m WHERE m.slug LIKE 'custom-%')))
        AND c.subject_node_id <> ${opts.nodeId}::uuid
        -- A checker whose report on this check was refused does not get it again.
        AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.node_id = ${opts.nodeId}::uuid AND v.role = 'checker')
        AND (c.kind <> 'dispute' OR NOT EXISTS (
          SELECT 1 FROM checks p JOIN nodes pn ON pn.id = p.checker_node_id
          WHERE p.id = c.parent_check_id AND (p.checker_node_id = ${opts.nodeId}::uuid OR pn.org_id = ${opts.orgId}::uuid)))
      ORDER BY c.created_at LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    UPDATE checks c SET status = 'leased', checker_node_id = ${opts.nodeId}::uuid, attempt = c.attempt + 1, leased_at = now(),
      lease_expires_at = now() + ${opts.leaseMs} * interval '1 millisecond'
    FROM next WHERE c.id = next.id RETURNING c.id`;
  return rows[0]?.id ?? null;
}

/** Hands expired check leases back to the queue for the next checker; returns how many. */
export async function sweepExpiredCheckLeases(db: Db): Promise<number> {
  const n = await db.$executeRaw`
    UPDATE checks SET status = 'queued', checker_node_id = NULL, lease_expires_at = NULL
    WHERE status = 'leased' AND lease_expires_at < now()`;
  return Number(n);
}

/**
 * Claims a queued check for the platform (the executor of last resort): leased with no
 * checker node, the attempt bumped (fencing). False when it is no longer queued.
 */
export async function claimCheckForPlatform(db: Db, opts: { id: string; leaseMs: number }): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE checks SET status = 'leased', checker_node_id = NULL, attempt = attempt + 1, leased_at = now(),
      lease_expires_at = now() + ${opts.leaseMs} * interval '1 millisecond'
    WHERE id = ${opts.id}::uuid AND status = 'queued' RETURNING id`;
  return rows.length > 0;
}
