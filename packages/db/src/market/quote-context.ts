import type { Db } from "../db-types.ts";

/** The organisation's region, where its jobs are placed from by default; null when it set none (or does not exist). */
export async function loadOrgRegion(db: Db, opts: { orgId: string }): Promise<string | null> {
  const rows = await db.$queryRaw<{ region: string | null }[]>`SELECT region FROM organizations WHERE id = ${opts.orgId}::uuid`;
  return rows[0]?.region ?? null;
}

/** Those of these organisations that have a job queued now. */
export async function loadOrgsWithQueuedJobs(db: Db, opts: { orgIds: string[] }): Promise<string[]> {
  const rows = await db.$queryRaw<{ org_id: string }[]>`
    SELECT DISTINCT org_id FROM jobs WHERE state = 'queued' AND org_id = ANY(${opts.orgIds}::uuid[])`;
  return rows.map((r) => r.org_id);
}
