import type { Db } from "../db-types.ts";

/** Proven frauds per provider: one per slash (a worker's or a checker's), the provider's record.
 * A provider with none has no entry. */
export async function countProviderFrauds(db: Db, opts: { orgIds: readonly string[] }): Promise<Map<string, number>> {
  if (opts.orgIds.length === 0) return new Map();
  const rows = await db.$queryRaw<{ org_id: string; n: number }[]>`
    SELECT n.org_id, count(*)::int AS n FROM slashes s JOIN nodes n ON n.id = s.node_id
    WHERE n.org_id = ANY(${[...opts.orgIds]}::uuid[]) GROUP BY n.org_id`;
  return new Map(rows.map((r) => [r.org_id, r.n]));
}
