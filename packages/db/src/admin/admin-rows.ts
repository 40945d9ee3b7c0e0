import type { Db } from "../db-types.ts";

/** The network at a glance, counted in one statement. */
export interface PlatformCountsRow {
  organizations: number;
  users: number;
  workers_online: number;
  checkers_online: number;
  quarantined: number;
  jobs_24h: number;
  failed_24h: number;
  open_checks: number;
  licences: number;
}

export async function loadPlatformCounts(db: Db): Promise<PlatformCountsRow | undefined> {
  const counts = await db.$queryRaw<PlatformCountsRow[]>`
    SELECT (SELECT count(*) FROM organizations)::int AS organizations,
           (SELECT count(*) FROM users)::int AS users,
           (SELECT count(*) FROM nodes WHERE role = 'worker' AND status = 'online')::int AS workers_online,
           (SELECT count(*) FROM nodes WHERE role = 'checker' AND status = 'online')::int AS checkers_online,
           (SELECT count(*) FROM nodes WHERE status = 'quarantined')::int AS quarantined,
           (SELECT count(*) FROM jobs WHERE created_at > now() - interval '24 hours')::int AS jobs_24h,
           (SELECT count(*) FROM jobs WHERE created_at > now() - interval '24 hours' AND state = 'failed')::int AS failed_24h,
           (SELECT count(*) FROM checks WHERE status IN ('waiting', 'queued', 'leased'))::int AS open_checks,
           (SELECT count(*) FROM checker_licences WHERE revoked_at IS NULL)::int AS licences`;
  return counts[0];
}

/** An organisation with its member and node counts and its ledger balances (null: no such account). */
export interface OrganizationSummaryRow {
  id: string;
  name: string;
  slug: string;
  kind: string;
  created_at: Date;
  members: number;
  nodes: number;
  available: bigint | null;
  held: bigint | null;
  earnings: bigint | null;
}

/** Organisations, newest first; with `pattern` (an ILIKE pattern, escaped by the caller), those whose name or slug match. */
export async function listOrganizationSummaries(
  db: Db,
  opts: { pattern: string | null; limit: number },
): Promise<OrganizationSummaryRow[]> {
  const { pattern, limit } = opts;
  return db.$queryRaw<OrganizationSummaryRow[]>`
    SELECT o.id, o.name, o.slug, o.kind::text AS kind, o.created_at,
           (SELECT count(*) FROM memberships m WHERE m.org_id = o.id)::int AS members,
           (SELECT count(*) FROM nodes n WHERE n.org_id = o.id)::int AS nodes,
           (SELECT balance FROM ledger_accounts a WHERE a.code = 'org:' || o.id || ':available') AS available,
           (SELECT balance FROM ledger_accounts a WHERE a.code = 'org:' || o.id || ':held') AS held,
           (SELECT balance FROM ledger_accounts a WHERE a.code = 'org:' || o.id || ':earnings') AS earnings
    FROM organizations o
    WHERE ${pattern}::text IS NULL OR o.name ILIKE ${pattern} OR o.slug ILIKE ${pattern}
    ORDER BY o.created_at DESC LIMIT ${limit}`;
}

/** A quarantined node with why, and its organisation's name. */
export interface QuarantinedNodeRow {
  id: string;
  name: string;
  role: string;
  org_name: string;
  region: string;
  quarantine_reason: string | null;
  last_seen_at: Date | null;
}

/** Quarantined nodes, newest first. */
export async function listQuarantinedNodes(db: Db, opts: { limit: number }): Promise<QuarantinedNodeRow[]> {
  return db.$queryRaw<QuarantinedNodeRow[]>`
    SELECT n.id, n.name, n.role::text AS role, o.name AS org_name, n.region, n.quarantine_reason, n.last_seen_at
    FROM nodes n JOIN organizations o ON o.id = n.org_id
    WHERE n.status = 'quarantined' ORDER BY n.created_at DESC LIMIT ${opts.limit}`;
}

/**
 * Returns a quarantined node to service: 'online', its reason cleared, at half priority
 * (priority_factor 0.5). Returns how many rows changed: 0 when no quarantined node has this id.
 */
export async function liftNodeQuarantine(db: Db, opts: { nodeId: string }): Promise<number> {
  return db.$executeRaw`
    UPDATE nodes SET status = 'online', quarantine_reason = NULL, priority_factor = 0.5
    WHERE id = ${opts.nodeId}::uuid AND status = 'quarantined'`;
}

/** An active checker licence with the provider that holds it. */
export interface CheckerLicenceRow {
  id: string;
  org_name: string;
  org_slug: string;
  node_id: string | null;
  note: string | null;
  created_at: Date;
}

/** Active checker licences, newest first, at most 1000. */
export async function listActiveLicences(db: Db): Promise<CheckerLicenceRow[]> {
  return db.$queryRaw<CheckerLicenceRow[]>`
    SELECT l.id, o.name AS org_name, o.slug AS org_slug, l.node_id, l.note, l.granted_at AS created_at
    FROM checker_licences l JOIN organizations o ON o.id = l.org_id
    WHERE l.revoked_at IS NULL ORDER BY l.granted_at DESC LIMIT 1000`;
}
