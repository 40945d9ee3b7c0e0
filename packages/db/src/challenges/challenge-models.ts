import type { Db } from "../db-types.ts";

/** The models with these ids (sha256), in slug order. */
export async function loadModelsByIds(db: Db, opts: { modelIds: readonly string[] }): Promise<{ id: string; slug: string }[]> {
  return db.$queryRaw<{ id: string; slug: string }[]>`
    SELECT id, slug FROM models WHERE id = ANY(${[...opts.modelIds]}::text[]) ORDER BY slug`;
}
