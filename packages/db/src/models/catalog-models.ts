import type { Db } from "../db-types.ts";

// The model catalog (`models`), as the built-in catalog sync writes it.

/** The `ModelKind` enum. */
export type ModelKind = "ocr" | "vad" | "embedding" | "tensor";

/** The id (sha256) of the model with this slug; null when no model has it. */
export async function findModelIdBySlug(db: Db, opts: { slug: string }): Promise<string | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM models WHERE slug = ${opts.slug}`;
  return rows[0]?.id ?? null;
}

/** Gives a model another slug (the catalog moves a slug to a new release's id). Returns the rows changed. */
export async function renameModelSlug(db: Db, opts: { id: string; slug: string }): Promise<number> {
  return db.$executeRaw`UPDATE models SET slug = ${opts.slug} WHERE id = ${opts.id}`;
}

export interface UpsertCatalogModelOptions {
  /** sha256 of the model's file(s). */
  id: string;
  slug: string;
  name: string;
  kind: ModelKind;
  description: string;
  /** Input/output signature and limits (stored as jsonb). */
  signature: unknown;
  baseCostMilliCu: number;
  synthetic: boolean;
  builtIn: boolean;
}

/** Creates the model, or sets every column but its id and created_at when it exists. */
export async function upsertCatalogModel(db: Db, opts: UpsertCatalogModelOptions): Promise<void> {
  // JSON text cast to jsonb: node-postgres would turn a top-level array into a Postgres array.
  await db.$executeRaw`
    INSERT INTO models (id, slug, name, kind, description, signature, base_cost_milli_cu, synthetic, built_in)
    VALUES (${opts.id}, ${opts.slug}, ${opts.name}, ${opts.kind}::"ModelKind", ${opts.description},
            ${JSON.stringify(opts.signature)}::jsonb, ${opts.baseCostMilliCu}::int, ${opts.synthetic}, ${opts.builtIn})
    ON CONFLICT (id) DO UPDATE SET
      slug = EXCLUDED.slug, name = EXCLUDED.name, kind = EXCLUDED.kind, description = EXCLUDED.description,
      signature = EXCLUDED.signature, base_cost_milli_cu = EXCLUDED.base_cost_milli_cu, synthetic = EXCLUDED.synthetic,
      built_in = EXCLUDED.built_in`;
}
