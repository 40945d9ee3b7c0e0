import type { Db } from "../db-types.ts";

/** An organisation's fair-share weight, its own concurrency limit (null: the default) and the jobs it has open. */
export interface OrgShareRow {
  id: string;
  share_weight: number;
  max_concurrent_jobs: number | null;
  /** Its jobs assigned or running now. */
  open: number;
}

export async function loadOrgShareRows(db: Db, opts: { orgIds: readonly string[] }): Promise<OrgShareRow[]> {
  return db.$queryRaw<OrgShareRow[]>`
    SELECT o.id, o.share_weight, o.max_concurrent_jobs,
           (SELECT count(*) FROM jobs j WHERE j.org_id = o.id AND j.state IN ('assigned', 'running'))::int AS open
    FROM organizations o WHERE o.id = ANY(${[...opts.orgIds]}::uuid[])`;
}
