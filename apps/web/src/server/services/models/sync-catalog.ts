import { listBuiltinModels } from "@proofgrid/models";
import { db } from "../../db.ts";

/** Upserts the built-in models (ids are their files' sha256) into the catalog table. */
export async function syncBuiltinCatalog(): Promise<{ slug: string; id: string }[]> {
  const models = await listBuiltinModels();
  for (const m of models) {
    const data = {
      slug: m.slug,
      name: m.name,
      kind: m.kind,
      description: m.description,
      signature: m.signature as object,
      baseCostMilliCu: m.baseCostMilliCu,
      synthetic: m.synthetic,
      builtIn: true,
    };
    // A new release of a model's package changes its sha256: the slug moves to the new id.
    await db().$transaction(async (tx) => {
      const old = await tx.model.findUnique({ where: { slug: m.slug }, select: { id: true } });
      if (old && old.id !== m.id) await tx.model.update({ where: { id: old.id }, data: { slug: `${m.slug}@${old.id.slice(0, 12)}` } });
      await tx.model.upsert({ where: { id: m.id }, create: { id: m.id, ...data }, update: data });
    });
  }
  return models.map((m) => ({ slug: m.slug, id: m.id }));
}
