import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";

export interface ResolvedModel {
  id: string;
  slug: string;
  kind: string;
  baseCostMilliCu: number;
}

// The catalog changes only on deploy or upload; a short cache keeps the submit path to
// one round trip for the transaction.
const CACHE_TTL_MS = 10_000;
const cache = new Map<string, { model: ResolvedModel; at: number }>();

/** Finds a model by slug or sha256 id; unknown models are a 404 with the fix in it. */
export async function resolveModel(ref: string): Promise<ResolvedModel> {
  const hit = cache.get(ref);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.model;
  const model = await db().model.findFirst({
    where: /^[0-9a-f]{64}$/.test(ref) ? { id: ref } : { slug: ref },
    select: { id: true, slug: true, kind: true, baseCostMilliCu: true },
  });
  if (!model) {
    throw new AppError("NOT_FOUND", `unknown model '${ref.slice(0, 100)}': list models with GET /api/v1/models`);
  }
  cache.set(ref, { model, at: Date.now() });
  return model;
}
