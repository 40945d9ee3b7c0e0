import type { Db } from "../db-types.ts";

/** The `OrgKind` enum. */
export type OrgKind = "customer" | "provider" | "both";

export interface InsertedOrganization {
  id: string;
  name: string;
  slug: string;
  kind: OrgKind;
}

/** Creates an organisation (slug unique: a clash is a unique violation, 23505); every other column takes its default. */
export async function insertOrganization(db: Db, opts: { name: string; slug: string; kind: OrgKind }): Promise<InsertedOrganization> {
  const rows = await db.$queryRaw<InsertedOrganization[]>`
    INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), ${opts.name}, ${opts.slug}, ${opts.kind}::"OrgKind")
    RETURNING id, name, slug, kind::text AS kind`;
  const row = rows[0];
  if (!row) throw new Error("insertOrganization: INSERT … RETURNING returned no row");
  return row;
}
