import { type CustomModelRun, isCustomModelSlug, ZCustomModelRun } from "@proofgrid/por";
import { LRUCache } from "lru-cache";
import { db } from "../../db.ts";

/**
 * What running an uploaded model (issue 17) takes besides its file — its signature, size and
 * determinism flag — as a lease, a check task, the submit check and the completion check read
 * it. A model row is content-addressed (its id is the sha256 of its bytes) and never updated,
 * so an entry never goes stale; the bound only keeps the memory flat. Null for catalog models.
 */
const MAX_CACHED_MODELS = 1_000;
const cache = new LRUCache<string, CustomModelRun>({ max: MAX_CACHED_MODELS });

export async function loadCustomModelRun(modelId: string): Promise<CustomModelRun | null> {
  const hit = cache.get(modelId);
  if (hit) return hit;
  const m = await db().model.findUnique({
    where: { id: modelId },
    select: { slug: true, signature: true, fileBytes: true, deterministic: true },
  });
  if (!m || !isCustomModelSlug(m.slug)) return null;
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
