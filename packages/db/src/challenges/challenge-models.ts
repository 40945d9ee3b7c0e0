import type { Db } from "../db-types.ts";

/** The models with these ids (sha256), in slug order. */
export async function loadModelsByIds(db: Db, opts: { modelIds: readonly string[] }): Promise<{ id: string; slug: string }[]> {
  return db.$queryRaw<{ id: string; slug: string }[]>`
    SELECT id, slug FROM models WHERE id = ANY(${[...opts.modelIds]}::text[]) ORDER BY slug`;
}

/** An uploaded model a challenge may be planted on, with what pricing its job takes. */
export interface CustomChallengeModelRow {
  id: string;
  slug: string;
  kind: string;
  base_cost_milli_cu: number;
}

/**
 * The uploaded model (slug `custom-…`, issue 17) `modelId`, if a challenge on it may go to
 * `nodeId`: the node accepts uploaded models now, the model still has an owner, and the node
 * ran one of its customers' jobs on it in the last day (so it was sent the model's file and
 * signature to run them already: a challenge on a private model shows it nothing new). Null
 * otherwise.
 */
export async function loadCustomChallengeModel(db: Db, opts: { modelId: string; nodeId: string }): Promise<CustomChallengeModelRow | null> {
  const rows = await db.$queryRaw<CustomChallengeModelRow[]>`
    SELECT m.id, m.slug, m.kind::text AS kind, m.base_cost_milli_cu FROM models m
    WHERE m.id = ${opts.modelId} AND m.slug LIKE 'custom-%'
      AND EXISTS (SELECT 1 FROM custom_models cm WHERE cm.model_id = m.id)
      AND EXISTS (SELECT 1 FROM nodes n WHERE n.id = ${opts.nodeId}::uuid AND n.accepts_custom_models)
      AND EXISTS (SELECT 1 FROM jobs j WHERE j.node_id = ${opts.nodeId}::uuid AND j.model_id = m.id AND j.purpose <> 'challenge'
                  AND j.created_at > now() - interval '1 day')`;
  return rows[0] ?? null;
}
