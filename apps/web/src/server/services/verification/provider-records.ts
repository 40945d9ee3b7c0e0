import { sql } from "@proofgrid/db/sql-client";
import { listProviderRecordRows } from "@proofgrid/db/standing/provider-records";
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
  const rows = await listProviderRecordRows(sql(), { limit, providerId: opts.providerId ?? null });
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
      standing: {
        starterAllowance: standing.starterAllowance.toString(),
        stakeMultiplier: standing.stakeMultiplier,
        newNodesOnProbation: standing.frauds > 0,
      },
    };
  });
}
