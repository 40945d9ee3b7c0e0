import { findModelIdBySlug, renameModelSlug, upsertCatalogModel } from "@proofgrid/db/models/catalog-models";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { listBuiltinModels } from "@proofgrid/models";

/** Upserts the built-in models (ids are their files' sha256) into the catalog table. */
export async function syncBuiltinCatalog(): Promise<{ slug: string; id: string }[]> {
  const models = await listBuiltinModels();
  for (const m of models) {
    // A new release of a model's package changes its sha256: the slug moves to the new id.
    await sqlTransaction(async (tx) => {
      const oldId = await findModelIdBySlug(tx, { slug: m.slug });
      if (oldId && oldId !== m.id) await renameModelSlug(tx, { id: oldId, slug: `${m.slug}@${oldId.slice(0, 12)}` });
      await upsertCatalogModel(tx, {
        id: m.id,
        slug: m.slug,
        name: m.name,
        kind: m.kind,
        description: m.description,
        signature: m.signature,
        baseCostMilliCu: m.baseCostMilliCu,
        synthetic: m.synthetic,
        builtIn: true,
      });
    });
  }
  return models.map((m) => ({ slug: m.slug, id: m.id }));
}
