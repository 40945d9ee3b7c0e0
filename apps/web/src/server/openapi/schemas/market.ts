import { z } from "zod";
import { ZBaseUnits, ZJson, ZSha256 } from "./common.ts";
import { ZCustomModelFacts } from "./models.ts";

const ZTimeToResult = z.strictObject({ p50: z.number().min(0).nullable(), p95: z.number().min(0).nullable(), samples: z.int().min(0) });

export const ZModel = z
  .strictObject({
    id: ZSha256,
    slug: z.string(),
    name: z.string(),
    kind: z.enum(["ocr", "vad", "embedding", "tensor"]),
    description: z.string(),
    signature: ZJson.describe("The model's input and output signature."),
    baseCostMilliCu: z.int().min(0),
    basePrice: ZBaseUnits,
    synthetic: z.boolean(),
    custom: ZCustomModelFacts.optional().describe("Uploaded models only (issue 17): who sees it and what its owner chose."),
  })
  .meta({ id: "Model" });

export const ZModelList = z.strictObject({ models: z.array(ZModel) }).meta({ id: "ModelList" });

export const ZMarket = z
  .strictObject({
    listPricePerCu: ZBaseUnits,
    windowMs: z.int().min(0),
    markets: z.array(
      z.strictObject({
        model: z.string(),
        modelId: ZSha256,
        region: z.string(),
        workersOnline: z.int().min(0),
        freeSlots: z.int().min(0),
        askPricePerCu: z.strictObject({ min: ZBaseUnits, median: ZBaseUnits, max: ZBaseUnits }).nullable(),
        timeToResultMs: ZTimeToResult,
      }),
    ),
  })
  .meta({ id: "Market" });

export const ZRegionLoad = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    lat: z.number(),
    lon: z.number(),
    workersOnline: z.int().min(0),
    freeSlots: z.int().min(0),
  })
  .meta({ id: "RegionLoad" });

export const ZRegions = z.strictObject({ platformRegion: z.string(), regions: z.array(ZRegionLoad) }).meta({ id: "Regions" });

const ZTerm = z.strictObject({ value: z.number(), weight: z.number(), contribution: z.number() });
const ZScore = z.strictObject({
  score: z.number(),
  expectedRttMs: z.number(),
  terms: z.strictObject({ latency: ZTerm, reputation: ZTerm, price: ZTerm, warm: ZTerm, stake: ZTerm, fairness: ZTerm }),
});

/** Workers each hard filter eliminated (indexer `Eliminated`). */
export const ZEliminated = z
  .strictObject({
    model: z.int().min(0),
    quarantined: z.int().min(0),
    stake: z.int().min(0),
    slots: z.int().min(0),
    latency: z.int().min(0),
    price: z.int().min(0),
    reputation: z.int().min(0),
    sameOrg: z.int().min(0),
  })
  .meta({ id: "Eliminated" });

export const ZJobQuote = z
  .strictObject({
    model: z.string(),
    modelId: ZSha256,
    clientRegion: z.string(),
    maxPricePerCu: ZBaseUnits,
    listPricePerCu: ZBaseUnits,
    pricedFor: z.enum(["input", "reference-input"]),
    costMilliCu: z.int().min(0),
    hold: ZBaseUnits,
    royalty: ZBaseUnits.describe("An uploaded model's royalty per job, paid to its owner; a submit accepts it with `maxRoyalty`."),
    available: z.boolean(),
    via: z.enum(["indexer", "reservation"]).nullable(),
    worker: z.strictObject({ region: z.string(), expectedRttMs: z.number(), askPricePerCu: ZBaseUnits }).nullable(),
    price: ZBaseUnits.nullable(),
    timeToResultMs: ZTimeToResult.nullable(),
    explanation: z.strictObject({ winner: ZScore, runnerUp: ZScore.nullable() }).nullable(),
    reason: z
      .strictObject({
        message: z.string(),
        eliminated: ZEliminated,
        code: z.enum(["no_worker_serves_model", "only_own_workers", "workers_unavailable", "raise_price_cap", "all_busy", "other"]),
        advice: z.string(),
        cheapestAskPerCu: ZBaseUnits.nullable(),
        queue: z
          .strictObject({ position: z.int().min(0), estimatedStartMs: z.number().min(0).nullable(), reason: z.string().nullable() })
          .nullable(),
      })
      .nullable(),
  })
  .meta({ id: "JobQuote" });
