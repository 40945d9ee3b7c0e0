import { type CustomModelRow, listVisibleCustomModels } from "@proofgrid/db/models/custom-models";
import { sql } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { priceForCost } from "../billing/pricing.ts";

const MAX_CUSTOM_LISTED = 500;

/** The processing menu's parameters as the API shows them: the image's mean and std, the class labels. */
function processingOptionsView(options: Record<string, unknown> | null): { mean?: number[]; std?: number[]; labels?: string[] } {
  if (!options) return {};
  const numbers = (v: unknown) => (Array.isArray(v) ? (v as number[]) : undefined);
  const labels = Array.isArray(options.labels) ? (options.labels as string[]) : undefined;
  return {
    ...(numbers(options.mean) ? { mean: numbers(options.mean) } : {}),
    ...(numbers(options.std) ? { std: numbers(options.std) } : {}),
    ...(labels ? { labels } : {}),
  };
}

/** An uploaded model as the API shows it: the catalog's fields and what its owner chose. */
export function customModelView(m: CustomModelRow, pricePerCuBaseUnits: number) {
  return {
    id: m.id,
    slug: m.slug,
    name: m.name,
    kind: m.kind,
    description: m.description,
    signature: m.signature,
    baseCostMilliCu: m.baseCostMilliCu,
    synthetic: m.synthetic,
    basePrice: priceForCost(m.baseCostMilliCu, pricePerCuBaseUnits).toString(),
    custom: {
      visibility: m.visibility,
      ownedByYou: m.owned,
      fileBytes: Number(m.fileBytes),
      deterministic: m.deterministic,
      preprocessing: m.preprocessing,
      postprocessing: m.postprocessing,
      ...processingOptionsView(m.processingOptions),
      ...(m.postprocessing === "labels" ? { labelCount: m.labelCount } : {}),
      royalty: m.royalty,
      owner: m.owner,
      createdAt: m.createdAt.toISOString(),
    },
  };
}

/**
 * The catalog's built-in models, then the uploaded ones `orgId` may see: its own, private or
 * public, and other organisations' public ones (issue 17). Without `orgId`, public ones only.
 */
export async function listModels(opts: { orgId?: string } = {}) {
  const rows = await db().model.findMany({
    where: { builtIn: true },
    select: { id: true, slug: true, name: true, kind: true, description: true, signature: true, baseCostMilliCu: true, synthetic: true },
    orderBy: { slug: "asc" },
    take: 500,
  });
  const pricePerCuBaseUnits = getEnv().PRICE_PER_CU_BASE_UNITS;
  const custom = await listVisibleCustomModels(sql(), { orgId: opts.orgId ?? null, limit: MAX_CUSTOM_LISTED });
  return [
    ...rows.map((m) => ({ ...m, basePrice: priceForCost(m.baseCostMilliCu, pricePerCuBaseUnits).toString() })),
    ...custom
      .sort((a, b) => Number(b.owned) - Number(a.owned) || a.slug.localeCompare(b.slug))
      .map((m) => customModelView(m, pricePerCuBaseUnits)),
  ];
}

/**
 * One model by its id (sha256) or slug: a built-in one, or an uploaded one `orgId` may see.
 * Another organisation's private model is the same 404 as a missing one.
 */
export async function getModel(opts: { orgId: string; ref: string }) {
  const ref = opts.ref.slice(0, 200);
  const found = await db().model.findFirst({
    where: /^[0-9a-f]{64}$/.test(ref) ? { id: ref } : { slug: ref },
    select: {
      id: true,
      slug: true,
      name: true,
      kind: true,
      description: true,
      signature: true,
      baseCostMilliCu: true,
      synthetic: true,
      builtIn: true,
    },
  });
  const pricePerCuBaseUnits = getEnv().PRICE_PER_CU_BASE_UNITS;
  if (found?.builtIn) {
    const { builtIn: _, ...m } = found;
    return { ...m, basePrice: priceForCost(m.baseCostMilliCu, pricePerCuBaseUnits).toString() };
  }
  const [row] = found ? await listVisibleCustomModels(sql(), { orgId: opts.orgId, modelId: found.id, limit: 1 }) : [];
  if (!row) throw new AppError("NOT_FOUND", `no model '${ref.slice(0, 100)}': list models with GET /api/v1/models`);
  return customModelView(row, pricePerCuBaseUnits);
}
