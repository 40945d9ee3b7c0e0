import { sql } from "@proofgrid/db/sql-client";
import { getPorConfig } from "./por-config.ts";
import { providerStanding } from "@proofgrid/por";

/** At most this many providers per answer. */
export const PROVIDER_RECORDS_MAX = 200;

export interface ProviderRecord {
  /** The provider's id (its organisation's): a pseudonym, as the explorer names nobody. */
  providerId: string;
  /** Worker and checker nodes it ever registered, and those online now. */
  nodes: number;
  nodesOnline: number;
  /** Proven frauds of its nodes (each one slashed), what was slashed, and what its customers got back. */
  frauds: number;
  slashed: string;
  refunded: string;
  lastFraudAt: string | null;
  /** What the record means for its nodes now: no starter allowance once slashed, its stake
   * counted 1/m, and every new node on probation (economics/provider-probation). */
  standing: { starterAllowance: string; stakeMultiplier: number; newNodesOnProbation: boolean };
}

/**
 * Public: each provider's record, not only each node's — a provider whose node was slashed
 * cannot start clean with a new node, and the network can see it. Providers with frauds come
 * first, then by size. Nothing here names a job or a customer.
 */
export async function listProviderRecords(opts: { limit: number; providerId?: string }): Promise<ProviderRecord[]> {
  const limit = Math.min(Math.max(1, opts.limit), PROVIDER_RECORDS_MAX);
  const only = opts.providerId ?? null;
  const rows = await sql().$queryRaw<
    { id: string; nodes: number; online: number; frauds: number; slashed: bigint; refunded: bigint; last_fraud: Date | null }[]
  >`
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
    LIMIT ${limit}`;
  const policy = getPorConfig().exposure;
  return rows.map((r) => {
    const standing = providerStanding(r.frauds, policy);
    return {
      providerId: r.id,
      nodes: r.nodes,
      nodesOnline: r.online,
      frauds: r.frauds,
      slashed: BigInt(r.slashed).toString(),
      refunded: BigInt(r.refunded).toString(),
      lastFraudAt: r.last_fraud?.toISOString() ?? null,
      standing: { starterAllowance: standing.starterAllowance.toString(), stakeMultiplier: standing.stakeMultiplier, newNodesOnProbation: standing.frauds > 0 },
    };
  });
}
