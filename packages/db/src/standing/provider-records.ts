import type { Db } from "../db-types.ts";

/** A provider's public record: its nodes, its proven frauds, what was slashed and refunded. */
export interface ProviderRecordRow {
  id: string;
  /** Worker and checker nodes it ever registered, and those online now. */
  nodes: number;
  online: number;
  frauds: number;
  slashed: bigint;
  /** Refunds of its fraud cases, plus those of older slashes recorded without a case. */
  refunded: bigint;
  last_fraud: Date | null;
}

/**
 * Providers (organisations with at least one node), those with frauds first, then by size,
 * at most `limit`; only `providerId` when given.
 */
export async function listProviderRecordRows(db: Db, opts: { limit: number; providerId: string | null }): Promise<ProviderRecordRow[]> {
  const only = opts.providerId;
  return db.$queryRaw<ProviderRecordRow[]>`
    SELECT o.id,
      (SELECT count(*) FROM nodes n WHERE n.org_id = o.id)::int AS nodes,
      (SELECT count(*) FROM nodes n WHERE n.org_id = o.id AND n.status = 'online')::int AS online,
      coalesce(s.frauds, 0)::int AS frauds, coalesce(s.slashed, 0)::bigint AS slashed,
      coalesce(f.refunded, 0)::bigint + coalesce(s.legacy_refunded, 0)::bigint AS refunded, s.last_fraud
    FROM organizations o
    LEFT JOIN LATERAL (
      SELECT count(*) AS frauds, sum(sl.amount) AS slashed, max(sl.created_at) AS last_fraud,
             sum(sl.refunded) FILTER (WHERE NOT EXISTS (SELECT 1 FROM fraud_cases fc WHERE fc.check_id = sl.check_id)) AS legacy_refunded
      FROM slashes sl JOIN nodes n ON n.id = sl.node_id WHERE n.org_id = o.id
    ) s ON true
    LEFT JOIN LATERAL (SELECT sum(fc.refunded) AS refunded FROM fraud_cases fc WHERE fc.org_id = o.id) f ON true
    WHERE EXISTS (SELECT 1 FROM nodes n WHERE n.org_id = o.id) AND (${only}::uuid IS NULL OR o.id = ${only}::uuid)
    ORDER BY coalesce(s.frauds, 0) DESC, 3 DESC, o.created_at
    LIMIT ${opts.limit}`;
}
