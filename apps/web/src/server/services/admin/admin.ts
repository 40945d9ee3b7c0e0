import { checkLedger, getBalances, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { pgText } from "../../http/safe-text.ts";

// What a platform administrator sees and does (the web's /admin and `npm run admin`):
// the network at a glance with the ledger's own check, the organisations with their
// balances, grants, checker licences and quarantined nodes to review.

export async function platformOverview() {
  const [counts, ledger, system] = await Promise.all([
    sql().$queryRaw<
      {
        organizations: number;
        users: number;
        workers_online: number;
        checkers_online: number;
        quarantined: number;
        jobs_24h: number;
        failed_24h: number;
        open_checks: number;
        licences: number;
      }[]
    >`
      SELECT (SELECT count(*) FROM organizations)::int AS organizations,
             (SELECT count(*) FROM users)::int AS users,
             (SELECT count(*) FROM nodes WHERE role = 'worker' AND status = 'online')::int AS workers_online,
             (SELECT count(*) FROM nodes WHERE role = 'checker' AND status = 'online')::int AS checkers_online,
             (SELECT count(*) FROM nodes WHERE status = 'quarantined')::int AS quarantined,
             (SELECT count(*) FROM jobs WHERE created_at > now() - interval '24 hours')::int AS jobs_24h,
             (SELECT count(*) FROM jobs WHERE created_at > now() - interval '24 hours' AND state = 'failed')::int AS failed_24h,
             (SELECT count(*) FROM checks WHERE status IN ('waiting', 'queued', 'leased'))::int AS open_checks,
             (SELECT count(*) FROM checker_licences WHERE revoked_at IS NULL)::int AS licences`,
    checkLedger(db()),
    getBalances(db(), [SYSTEM_ACCOUNTS.treasury.code, SYSTEM_ACCOUNTS.emissionPool.code, SYSTEM_ACCOUNTS.protocolFee.code]),
  ]);
  const c = counts[0];
  if (!c) throw new Error("platform counts: no row");
  return {
    organizations: c.organizations,
    users: c.users,
    workersOnline: c.workers_online,
    checkersOnline: c.checkers_online,
    quarantined: c.quarantined,
    jobs24h: c.jobs_24h,
    failed24h: c.failed_24h,
    openChecks: c.open_checks,
    licences: c.licences,
    ledger: { ok: ledger.ok, unbalancedTransfers: ledger.unbalancedTransfers.length, mismatchedAccounts: ledger.mismatchedAccounts.length },
    treasury: (system.get(SYSTEM_ACCOUNTS.treasury.code) ?? 0n).toString(),
    emissionPool: (system.get(SYSTEM_ACCOUNTS.emissionPool.code) ?? 0n).toString(),
    protocolFees: (system.get(SYSTEM_ACCOUNTS.protocolFee.code) ?? 0n).toString(),
  };
}

export const ZListOrganizations = z.object({
  search: pgText().trim().max(80).optional(),
  limit: z.number().int().min(1).max(100).default(50),
});

/** Organisations, newest first, optionally by name or slug, with members, nodes and balances. */
export async function listOrganizations(input: z.input<typeof ZListOrganizations>) {
  const { search, limit } = ZListOrganizations.parse(input);
  const pattern = search ? `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const rows = await sql().$queryRaw<
    { id: string; name: string; slug: string; kind: string; created_at: Date; members: number; nodes: number; available: bigint | null; held: bigint | null; earnings: bigint | null }[]
  >`
    SELECT o.id, o.name, o.slug, o.kind::text AS kind, o.created_at,
           (SELECT count(*) FROM memberships m WHERE m.org_id = o.id)::int AS members,
           (SELECT count(*) FROM nodes n WHERE n.org_id = o.id)::int AS nodes,
           (SELECT balance FROM ledger_accounts a WHERE a.code = 'org:' || o.id || ':available') AS available,
           (SELECT balance FROM ledger_accounts a WHERE a.code = 'org:' || o.id || ':held') AS held,
           (SELECT balance FROM ledger_accounts a WHERE a.code = 'org:' || o.id || ':earnings') AS earnings
    FROM organizations o
    WHERE ${pattern}::text IS NULL OR o.name ILIKE ${pattern} OR o.slug ILIKE ${pattern}
    ORDER BY o.created_at DESC LIMIT ${limit}`;
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    slug: r.slug,
    kind: r.kind,
    createdAt: r.created_at.toISOString(),
    members: r.members,
    nodes: r.nodes,
    available: (r.available ?? 0n).toString(),
    held: (r.held ?? 0n).toString(),
    earnings: (r.earnings ?? 0n).toString(),
  }));
}

/** Quarantined nodes with why, newest first: the cases an administrator reviews. */
export async function listQuarantined(limit = 100) {
  const rows = await sql().$queryRaw<{ id: string; name: string; role: string; org_name: string; region: string; quarantine_reason: string | null; last_seen_at: Date | null }[]>`
    SELECT n.id, n.name, n.role::text AS role, o.name AS org_name, n.region, n.quarantine_reason, n.last_seen_at
    FROM nodes n JOIN organizations o ON o.id = n.org_id
    WHERE n.status = 'quarantined' ORDER BY n.created_at DESC LIMIT ${Math.min(Math.max(1, limit), 500)}`;
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, orgName: r.org_name, region: r.region, reason: r.quarantine_reason, lastSeenAt: r.last_seen_at?.toISOString() ?? null }));
}

/**
 * Returns a quarantined node to service after review, at half priority (its verdict history
 * stays). It comes back 'online' and is marked offline by the sweeper if it is not heard.
 */
export async function liftQuarantine(nodeId: string) {
  const n = await sql().$executeRaw`
    UPDATE nodes SET status = 'online', quarantine_reason = NULL, priority_factor = 0.5 WHERE id = ${nodeId}::uuid AND status = 'quarantined'`;
  if (Number(n) === 0) throw new AppError("NOT_FOUND", "no quarantined node with this id");
  logger.warn({ nodeId }, "quarantine lifted");
  return { lifted: nodeId, priorityFactor: 0.5 };
}

/** Active checker licences, with the provider that holds each and the node using it. */
export async function listLicences() {
  const rows = await sql().$queryRaw<{ id: string; org_name: string; org_slug: string; node_id: string | null; note: string | null; created_at: Date }[]>`
    SELECT l.id, o.name AS org_name, o.slug AS org_slug, l.node_id, l.note, l.granted_at AS created_at
    FROM checker_licences l JOIN organizations o ON o.id = l.org_id
    WHERE l.revoked_at IS NULL ORDER BY l.granted_at DESC LIMIT 1000`;
  return rows.map((r) => ({ id: r.id, orgName: r.org_name, orgSlug: r.org_slug, nodeId: r.node_id, note: r.note, createdAt: r.created_at.toISOString() }));
}
