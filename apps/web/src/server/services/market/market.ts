import { loadPublicModelSlugs } from "@proofgrid/db/market/model-slugs";
import { isCustomModelSlug } from "@proofgrid/por";
import { sql } from "@proofgrid/db/sql-client";
import { findRegion } from "@proofgrid/indexer";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.ts";
import { feedHorizon, occupancyAt } from "../network/feed-horizon.ts";
import { liveNetwork, MARKET_WINDOW_MS } from "./live-network.ts";
import { spreadBig } from "./stats.ts";
import { NO_SAMPLES, type TimeToResult, timeKey, timesToResult } from "./time-to-result.ts";
import { pgText } from "../../http/safe-text.ts";

/** A region id of GET /api/v1/regions (the indexer's table). */
export const ZRegionId = z
  .string()
  .min(2)
  .max(40)
  .refine((r) => findRegion(r) !== undefined, { message: "unknown region: see GET /api/v1/regions for the ids" });

export const ZMarketQuery = z.object({
  /** Model slug or sha256 id. */
  model: pgText().min(1).max(100).optional(),
  region: ZRegionId.optional(),
});
export type TMarketQuery = z.infer<typeof ZMarketQuery>;

/**
 * A model named in a market question: unknown is bad input (400), not a missing resource.
 * With `orgId`, that organisation's private uploaded models resolve too (issue 17).
 */
export async function marketModelOrThrow(ref: string, opts: { orgId?: string } = {}): Promise<ResolvedModel> {
  try {
    return await resolveModel(ref, opts);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") throw new AppError("BAD_REQUEST", err.message, { field: "model" });
    throw err;
  }
}

export interface MarketEntry {
  model: string;
  modelId: string;
  /** Region of the workers (GET /api/v1/regions); `local` workers count as the platform's. */
  region: string;
  workersOnline: number;
  freeSlots: number;
  /** Base units per CU as decimal strings; null when no worker of this model is online here. */
  askPricePerCu: { min: string; median: string; max: string } | null;
  /** Succeeded jobs of the last hour that ran in this region. */
  timeToResultMs: { p50: number | null; p95: number | null; samples: number };
}

export interface MarketView {
  listPricePerCu: string;
  windowMs: number;
  markets: MarketEntry[];
}

/**
 * Public: per (model, region of the workers) the online workers, their free slots, the
 * spread of their asks (a null ask is the list price) and the last hour's time to result.
 * A pair appears while it has an online worker or a result in the last hour.
 *
 * Free slots are as they were at the public feeds' horizon and the times to result count
 * every job alike, challenges included, up to the same delay (feed-horizon.ts): with live
 * free slots and a count of customer jobs only, a worker polling this after each result
 * saw its region's count move for a customer job and stay for a challenge (issue 12).
 */
export async function getMarket(query: TMarketQuery): Promise<MarketView> {
  const model = query.model === undefined ? undefined : await marketModelOrThrow(query.model);
  const [workers, times, then] = await Promise.all([liveNetwork(), timesToResult({ modelId: model?.id }), occupancyAt(feedHorizon())]);

  const groups = new Map<string, { modelId: string; region: string; workers: number; freeSlots: number; asks: bigint[] }>();
  const group = (modelId: string, region: string) => {
    const key = timeKey(modelId, region);
    let g = groups.get(key);
    if (!g) {
      g = { modelId, region, workers: 0, freeSlots: 0, asks: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const key of times.keys()) {
    const [modelId = "", region = ""] = key.split("|");
    if (query.region === undefined || region === query.region) group(modelId, region);
  }
  // Uploaded models (issue 17) shown: the one asked for, and public ones with results in the
  // window. Private ones never reach a public feed (loadPublicModelSlugs leaves them out).
  const modelIds = new Set([...groups.values()].map((g) => g.modelId));
  for (const w of workers) for (const m of w.models) modelIds.add(m);
  if (model) modelIds.add(model.id);
  const known = modelIds.size === 0 ? [] : await loadPublicModelSlugs(sql(), { modelIds: [...modelIds] });
  const slugs = new Map(known.map((r) => [r.id, r.slug]));
  const uploaded = known.filter((r) => r.custom && isCustomModelSlug(r.slug)).map((r) => r.id);
  for (const w of workers) {
    if (w.quarantined || (query.region !== undefined && w.region !== query.region)) continue;
    // A worker that opted in to uploaded models serves every one of them: its supply counts for each.
    const serves = new Set([...w.models, ...(w.acceptsCustomModels ? uploaded : [])]);
    for (const m of serves) {
      if (model && m !== model.id) continue;
      const g = group(m, w.region);
      g.workers++;
      g.freeSlots += Math.max(0, w.maxConcurrency - (then.busy.get(w.id) ?? 0));
      g.asks.push(w.askPerCuBaseUnits);
    }
  }

  const markets: MarketEntry[] = [];
  for (const g of groups.values()) {
    const slug = slugs.get(g.modelId);
    if (!slug) continue; // a node may list a model the catalog has since dropped
    const spread = spreadBig(g.asks);
    const t: TimeToResult = times.get(timeKey(g.modelId, g.region)) ?? NO_SAMPLES;
    markets.push({
      model: slug,
      modelId: g.modelId,
      region: g.region,
      workersOnline: g.workers,
      freeSlots: g.freeSlots,
      askPricePerCu: spread && { min: spread.min.toString(), median: spread.median.toString(), max: spread.max.toString() },
      timeToResultMs: { p50: t.p50Ms, p95: t.p95Ms, samples: t.samples },
    });
  }
  markets.sort((a, b) => (a.model === b.model ? a.region.localeCompare(b.region) : a.model.localeCompare(b.model)));
  return { listPricePerCu: String(getEnv().PRICE_PER_CU_BASE_UNITS), windowMs: MARKET_WINDOW_MS, markets };
}
