import type { Db } from "../db-types.ts";

/** The catalog slugs of these model ids; an id the catalog does not hold is absent. */
export async function loadModelSlugs(db: Db, opts: { modelIds: string[] }): Promise<{ id: string; slug: string }[]> {
  return db.$queryRaw<{ id: string; slug: string }[]>`SELECT id, slug FROM models WHERE id = ANY(${opts.modelIds}::text[])`;
}
