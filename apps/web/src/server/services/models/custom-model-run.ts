import { type CustomModelRun, isCustomModelSlug, ZCustomModelRun } from "@proofgrid/por";
import { LRUCache } from "lru-cache";
import { db } from "../../db.ts";

/**
 * What running an uploaded model (issue 17) takes besides its file — its signature, size and
 * determinism flag — as a lease, a check task, the submit check and the completion check read
 * it. A model row is content-addressed (its id is the sha256 of its bytes) and never updated,
 * so an entry never goes stale; the bound only keeps the memory flat. Null for catalog models.
 * A catalog model's answer is cached too (every completion asks, issue 15): its row exists and
 * its slug never changes. An id with no row is not cached: it may be uploaded later.
 */
const MAX_CACHED_MODELS = 1_000;
const CATALOG = "catalog" as const;
const cache = new LRUCache<string, CustomModelRun | typeof CATALOG>({ max: MAX_CACHED_MODELS });

export async function loadCustomModelRun(modelId: string): Promise<CustomModelRun | null> {
  const hit = cache.get(modelId);
  if (hit === CATALOG) return null;
  if (hit) return hit;
  const m = await db().model.findUnique({
    where: { id: modelId },
    select: { slug: true, signature: true, fileBytes: true, deterministic: true },
  });
  if (!m) return null;
  if (!isCustomModelSlug(m.slug)) {
    cache.set(modelId, CATALOG);
    return null;
  }
  const sig = m.signature as { inputs?: unknown; outputs?: unknown } | null;
  const run = ZCustomModelRun.parse({
    modelId,
    signature: { inputs: sig?.inputs, outputs: sig?.outputs },
    fileBytes: Number(m.fileBytes ?? 0),
    // Not measured reads as not deterministic: the wider tolerance, never a false accusation.
    deterministic: m.deterministic ?? false,
  });
  cache.set(modelId, run);
  return run;
}
