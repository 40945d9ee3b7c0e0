import type { Db } from "../db-types.ts";
import type { NodeStatus } from "../generated/prisma/enums.ts";

/** What a verdict changes on a node. `reputation` is packages/por's ReputationState as JSON
 * (null before the first event); the caller names its type. */
export interface NodeStandingRow<TReputation> {
  reputation: TReputation | null;
  status: NodeStatus;
  quarantine_reason: string | null;
}

/** Locks a node (FOR UPDATE) and reads its standing; undefined when there is no such node. */
export async function lockNodeStanding<TReputation>(db: Db, opts: { nodeId: string }): Promise<NodeStandingRow<TReputation> | undefined> {
  const nodes = await db.$queryRaw<NodeStandingRow<TReputation>[]>`
    SELECT reputation, status::text AS status, quarantine_reason FROM nodes WHERE id = ${opts.nodeId}::uuid FOR UPDATE`;
  return nodes[0];
}

export interface UpdateNodeStandingOptions {
  nodeId: string;
  /** Stored as jsonb. */
  reputation: unknown;
  reputationScore: number;
  priorityFactor: number;
  status: NodeStatus;
  quarantineReason: string | null;
}

/** Writes a node's standing after a verdict, and marks it checked now. */
export async function updateNodeStanding(db: Db, opts: UpdateNodeStandingOptions): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET reputation = ${JSON.stringify(opts.reputation)}::jsonb, reputation_score = ${opts.reputationScore},
      priority_factor = ${opts.priorityFactor}, status = ${opts.status}::"NodeStatus", quarantine_reason = ${opts.quarantineReason},
      last_checked_at = now()
    WHERE id = ${opts.nodeId}::uuid`;
}
