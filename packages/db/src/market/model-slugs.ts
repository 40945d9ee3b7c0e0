import type { Db } from "../db-types.ts";

/**
 * The slugs of these model ids that anyone may see: the catalog's built-in models and uploaded
 * models some organisation lists publicly (issue 17), each with whether it is an uploaded one.
 * An id the catalog does not hold, or a private uploaded model, is absent: a public feed must
 * not confirm that a private model exists, nor show how busy it is.
 */
export async function loadPublicModelSlugs(db: Db, opts: { modelIds: string[] }): Promise<{ id: string; slug: string; custom: boolean }[]> {
  return db.$queryRaw<{ id: string; slug: string; custom: boolean }[]>`
    SELECT m.id, m.slug, NOT m.built_in AS custom FROM models m
    WHERE m.id = ANY(${opts.modelIds}::text[])
      AND (m.built_in OR EXISTS (SELECT 1 FROM custom_models cm WHERE cm.model_id = m.id AND cm.visibility = 'public'))`;
}
