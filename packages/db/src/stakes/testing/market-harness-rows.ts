import type { Db } from "../../db-types.ts";

// What the marketplace harness (apps/web verification/testing/market-harness.ts) writes and
// reads directly: registered nodes without the HTTP round trip, and the rows its tests assert
// on. Test support only; the services never call these.

export interface InsertHarnessNodeOptions {
  orgId: string;
  name: string;
  role: "worker" | "checker";
  publicKey: string;
  /** Model ids (sha256) the node serves. */
  models: readonly string[];
  /** Its ask per CU; null for the market price. */
  ask: bigint | null;
}

/** Inserts an online node that passed admission (3600 CU/h, 4 slots, region 'local'); returns its id. */
export async function insertHarnessNode(db: Db, opts: InsertHarnessNodeOptions): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO nodes (id, org_id, name, role, public_key, region, status, claimed_cu_per_hour, cu_per_hour, models, max_concurrency,
                       ask_price_per_cu, admission, last_seen_at)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.name}, ${opts.role}::"NodeRole", ${opts.publicKey}, 'local', 'online',
            3600, 3600, ${[...opts.models]}::text[], 4, ${opts.ask}, 'passed', now())
    RETURNING id`;
  return rows[0]?.id;
}

/** A node as the node-facing services see it (authenticate-node.ts's identity). */
export interface HarnessNodeIdentityRow {
  id: string;
  org_id: string;
  role: "worker" | "checker";
  status: "online" | "offline" | "quarantined";
  models: string[];
  accepts_custom_models: boolean;
  max_concurrency: number;
  region: string;
  public_key: string;
  cu_per_hour: number;
  priority_factor: number;
}

export async function loadHarnessNodeIdentity(db: Db, opts: { nodeId: string }): Promise<HarnessNodeIdentityRow | undefined> {
  const rows = await db.$queryRaw<HarnessNodeIdentityRow[]>`
    SELECT id, org_id, role::text AS role, status::text AS status, models, accepts_custom_models, max_concurrency, region, public_key, cu_per_hour, priority_factor
    FROM nodes WHERE id = ${opts.nodeId}::uuid`;
  return rows[0];
}

/** A job's input (its payload row); undefined when there is none. */
export async function loadHarnessJobInput(db: Db, opts: { jobId: string }): Promise<unknown> {
  const rows = await db.$queryRaw<{ input: unknown }[]>`SELECT input FROM job_payloads WHERE job_id = ${opts.jobId}::uuid`;
  return rows[0]?.input;
}

export async function loadHarnessCheckKind(db: Db, opts: { checkId: string }): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ kind: string }[]>`SELECT kind::text AS kind FROM checks WHERE id = ${opts.checkId}::uuid`;
  return rows[0]?.kind;
}

/** Every account an organisation owns (its own and its nodes'), summed, fraud pots aside; null when it owns none. */
export async function sumHarnessOrgHoldings(db: Db, opts: { orgId: string }): Promise<bigint | null> {
  const rows = await db.$queryRaw<{ total: bigint | null }[]>`
    SELECT sum(balance)::bigint AS total FROM ledger_accounts WHERE org_id = ${opts.orgId}::uuid AND kind <> 'fraud_pot'`;
  return rows[0]?.total ?? null;
}

export interface HarnessJobRow {
  state: string;
  verification: string;
  node_id: string | null;
  price: bigint;
  refunded_amount: bigint | null;
  verification_note: string | null;
}

export async function loadHarnessJobRow(db: Db, opts: { jobId: string }): Promise<HarnessJobRow | undefined> {
  const rows = await db.$queryRaw<HarnessJobRow[]>`
    SELECT state::text AS state, verification::text AS verification, node_id, price, refunded_amount, verification_note
    FROM jobs WHERE id = ${opts.jobId}::uuid`;
  return rows[0];
}
