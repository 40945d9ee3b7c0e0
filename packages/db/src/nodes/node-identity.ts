import type { Db } from "../db-types.ts";
import type { NodeRow } from "./node-row.ts";

/** What a signed node request is checked against and what the node services act on. */
export interface NodeIdentityRow {
  id: NodeRow["id"];
  orgId: NodeRow["org_id"];
  role: NodeRow["role"];
  status: NodeRow["status"];
  models: NodeRow["models"];
  /** Runs customers' uploaded models (issue 17) besides the catalog's in `models`. */
  acceptsCustomModels: NodeRow["accepts_custom_models"];
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
        SELECT id, org_id AS "orgId", role::text AS role, status::text AS status, models, accepts_custom_models AS "acceptsCustomModels",
               max_concurrency AS "maxConcurrency", region, public_key AS "publicKey",
               cu_per_hour AS "cuPerHour", priority_factor AS "priorityFactor"
        FROM nodes WHERE id = ${opts.nodeId}::uuid AND removed_at IS NULL`;
  return rows[0] ?? null;
}

/**
 * A signed request's one round trip once its signature has been checked: records the nonce
 * (the insert is the replay check) and reads the node's current identity in the same
 * statement. `fresh` is false when the nonce was used before (a replay); null when the
 * node is unknown or removed.
 */
export async function recordNonceAndLoadIdentity(
  db: Db,
  opts: { nodeId: string; nonce: string },
): Promise<(NodeIdentityRow & { fresh: boolean }) | null> {
  const rows = await db.$queryRaw<(NodeIdentityRow & { fresh: boolean })[]>`
        WITH used AS (
          INSERT INTO node_nonces (node_id, nonce)
          SELECT id, ${opts.nonce} FROM nodes WHERE id = ${opts.nodeId}::uuid AND removed_at IS NULL
          ON CONFLICT DO NOTHING RETURNING 1)
        SELECT id, org_id AS "orgId", role::text AS role, status::text AS status, models, accepts_custom_models AS "acceptsCustomModels",
               max_concurrency AS "maxConcurrency", region, public_key AS "publicKey",
               cu_per_hour AS "cuPerHour", priority_factor AS "priorityFactor",
               EXISTS (SELECT 1 FROM used) AS fresh
        FROM nodes WHERE id = ${opts.nodeId}::uuid AND removed_at IS NULL`;
  return rows[0] ?? null;
}
