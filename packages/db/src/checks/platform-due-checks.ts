import type { Db } from "../db-types.ts";

export interface LoadPlatformDueChecksOptions {
  /** A dispute older than this is taken by the platform (POR_DISPUTE_DEADLINE_MS). */
  disputeDeadlineMs: number;
  /** A sampled re-execution older than this is taken by the platform (POR_CHECK_DEADLINE_MS). */
  checkDeadlineMs: number;
  limit: number;
}

/**
 * Checks the platform should execute now, most urgent first: disputes past their deadline or
 * with no eligible independent checker online, then sampled re-executions past theirs.
 */
export async function loadPlatformDueChecks(db: Db, opts: LoadPlatformDueChecksOptions): Promise<{ id: string }[]> {
  return db.$queryRaw<{ id: string }[]>`
    SELECT c.id FROM checks c LEFT JOIN checks p ON p.id = c.parent_check_id LEFT JOIN nodes pn ON pn.id = p.checker_node_id
    WHERE c.status = 'queued' AND (
      (c.kind = 'dispute' AND (
        c.created_at < now() - ${opts.disputeDeadlineMs} * interval '1 millisecond'
        OR NOT EXISTS (
          SELECT 1 FROM nodes k JOIN checker_licences l ON l.node_id = k.id AND l.revoked_at IS NULL
          WHERE k.role = 'checker' AND k.status = 'online' AND (c.model_id = ANY(k.models)
            OR (k.accepts_custom_models AND c.model_id IN (SELECT m.id FROM models m WHERE m.slug LIKE 'custom-%')))
            AND k.org_id <> c.subject_org_id AND k.id IS DISTINCT FROM p.checker_node_id AND k.org_id IS DISTINCT FROM pn.org_id
            AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.node_id = k.id AND v.role = 'checker'))))
      OR (c.kind = 'reexecution' AND c.created_at < now() - ${opts.checkDeadlineMs} * interval '1 millisecond'))
    ORDER BY (c.kind = 'dispute') DESC, c.created_at
    LIMIT ${opts.limit}`;
}
