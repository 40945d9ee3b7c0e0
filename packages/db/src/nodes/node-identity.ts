import type { Db } from "../db-types.ts";
import type { NodeRow } from "./node-row.ts";

/** What a signed node request is checked against and what the node services act on. */
export interface NodeIdentityRow {
  id: NodeRow["id"];
  orgId: NodeRow["org_id"];
  role: NodeRow["role"];
  status: NodeRow["status"];
  models: NodeRow["models"];
  maxConcurrency: NodeRow["max_concurrency"];
  region: NodeRow["region"];
  publicKey: NodeRow["public_key"];
  /** Capability the platform credits (after the registration check's derating). */
  cuPerHour: NodeRow["cu_per_hour"];
  /** The penalty ladder's allocation multiplier, 1 for a node in good standing. */
  priorityFactor: NodeRow["priority_factor"];
}

/** The node with this id, unless it was removed; null when there is none. */
export async function loadNodeIdentity(db: Db, opts: { nodeId: string }): Promise<NodeIdentityRow | null> {
  const rows = await db.$queryRaw<NodeIdentityRow[]>`
        SELECT id, org_id AS "orgId", role::text AS role, status::text AS status, models,
               max_concurrency AS "maxConcurrency", region, public_key AS "publicKey",
               cu_per_hour AS "cuPerHour", priority_factor AS "priorityFactor"
        FROM nodes WHERE id = ${opts.nodeId}::uuid AND removed_at IS NULL`;
  return rows[0] ?? null;
}
