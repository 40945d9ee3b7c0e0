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

/**
 * Finds a model by slug or sha256 id; unknown models are a 404 with the fix in it. Uploaded
 * models (issue 17) resolve only for whom they are visible: a public one for anyone, a
 * private one for its owners (`orgId`); without `orgId`, built-in and public models only, so
 * a caller that does not say whose request it is can never reach a private model. Another
 * organisation's private model is the same 404 as a missing one.
 */
export async function resolveModel(ref: string, opts: { orgId?: string } = {}): Promise<ResolvedModel> {
  const key = `${opts.orgId ?? "-"}:${ref}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.model;
  const owners = opts.orgId ? [{ orgId: opts.orgId }, { visibility: "public" as const }] : [{ visibility: "public" as const }];
  const model = await db().model.findFirst({
    where: {
      ...(/^[0-9a-f]{64}$/.test(ref) ? { id: ref } : { slug: ref }),
      OR: [{ builtIn: true }, { owners: { some: { OR: owners } } }],
    },
    select: { id: true, slug: true, kind: true, baseCostMilliCu: true },
  });
  if (!model) {
    throw new AppError("NOT_FOUND", `unknown model '${ref.slice(0, 100)}': list models with GET /api/v1/models`);
  }
  if (cache.size >= 10_000) cache.clear();
  cache.set(key, { model, at: Date.now() });
  return model;
}
