import type { Db } from "../db-types.ts";

// Checker licences: the right of a provider's checker to lease checks. They are limited
// network-wide, so grants take a transaction-scoped advisory lock before counting the active
// ones: two grants cannot both squeeze past the limit.

/** Takes the licence-grant lock until the end of the caller's transaction. */
export async function lockLicenceGrants(db: Db): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock(7264101)`;
}

/** The organisation a licence would go to, by slug, with its kind (customer or provider). */
export async function loadLicenceOrg(db: Db, opts: { orgSlug: string }): Promise<{ id: string; kind: string } | undefined> {
  const org = await db.$queryRaw<{ id: string; kind: string }[]>`
    SELECT id, kind::text AS kind FROM organizations WHERE slug = ${opts.orgSlug}`;
  return org[0];
}

/** Licences granted and not revoked, network-wide. */
export async function countActiveLicences(db: Db): Promise<number> {
  const active = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM checker_licences WHERE revoked_at IS NULL`;
  return active[0]?.n ?? 0;
}

/** Grants a licence to the organisation, not yet bound to a node; returns its id. */
export async function insertCheckerLicence(db: Db, opts: { orgId: string; note: string | null }): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO checker_licences (id, org_id, note) VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.note}) RETURNING id`;
  return rows[0]?.id;
}

/** Grants a licence bound to a checker node (test fixtures: a registered checker holds one). */
export async function insertNodeCheckerLicence(db: Db, opts: { orgId: string; nodeId: string }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO checker_licences (id, org_id, node_id) VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.nodeId}::uuid)`;
}

/** Revokes an active licence; false when there is no active licence with this id. */
export async function revokeActiveLicence(db: Db, opts: { licenceId: string }): Promise<boolean> {
  const n = await db.$executeRaw`UPDATE checker_licences SET revoked_at = now() WHERE id = ${opts.licenceId}::uuid AND revoked_at IS NULL`;
  return Number(n) > 0;
}
