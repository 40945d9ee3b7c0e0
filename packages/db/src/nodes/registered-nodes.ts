import type { Db } from "../db-types.ts";
import type { NodeRole } from "./node-row.ts";

// The node row a registration creates (`nodes`).

/** The id of the node with this public key (removed nodes included: a key registers once); null when there is none. */
export async function findNodeIdByPublicKey(db: Db, opts: { publicKey: string }): Promise<string | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM nodes WHERE public_key = ${opts.publicKey}`;
  return rows[0]?.id ?? null;
}

export interface InsertRegisteredNodeOptions {
  orgId: string;
  name: string;
  role: NodeRole;
  /** ed25519, raw 32 bytes, base64url (unique). */
  publicKey: string;
  region: string;
  latitude: number | null;
  longitude: number | null;
  /** Model sha256s the node can run. */
  models: readonly string[];
  claimedCuPerHour: number;
  /** Accepted capability; a checker's registration challenge measures it later. */
  cuPerHour: number;
  /** Base units per CU; null = the list price. */
  askPerCuBaseUnits: bigint | null;
  maxConcurrency: number;
  version: string | null;
  lastSeenAt: Date;
  /** Runs customers' uploaded models (issue 17); default false. */
  acceptsCustomModels?: boolean;
}

export interface RegisteredNode {
  id: string;
  orgId: string;
  role: NodeRole;
  region: string;
}

/** Creates the node, online (it registers from the running worker); every other column takes its default. */
export async function insertRegisteredNode(db: Db, opts: InsertRegisteredNodeOptions): Promise<RegisteredNode> {
  // last_seen_at is `timestamp` (no zone) holding UTC, as Prisma writes it: the instant goes in as UTC text.
  const rows = await db.$queryRaw<RegisteredNode[]>`
    INSERT INTO nodes (id, org_id, name, role, public_key, region, latitude, longitude, models, claimed_cu_per_hour,
                       ask_price_per_cu, cu_per_hour, max_concurrency, version, status, last_seen_at, accepts_custom_models)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.name}, ${opts.role}::"NodeRole", ${opts.publicKey}, ${opts.region},
            ${opts.latitude}::float8, ${opts.longitude}::float8, ${[...opts.models]}::text[], ${opts.claimedCuPerHour}::int,
            ${opts.askPerCuBaseUnits}::bigint, ${opts.cuPerHour}::int, ${opts.maxConcurrency}::int, ${opts.version}, 'online',
            (${opts.lastSeenAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'), ${opts.acceptsCustomModels ?? false})
    RETURNING id, org_id AS "orgId", role::text AS role, region`;
  const row = rows[0];
  if (!row) throw new Error("insertRegisteredNode: INSERT … RETURNING returned no row");
  return row;
}
