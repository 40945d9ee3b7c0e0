import { royaltyFor } from "@proofgrid/db/models/custom-models";
import { isCustomModelSlug } from "@proofgrid/por";
import { loadOrgRegion, loadOrgsWithQueuedJobs } from "@proofgrid/db/market/quote-context";
import { sql } from "@proofgrid/db/sql-client";
import {
  type Decision,
  type Eliminated,
  type Explanation,
  emptyEliminated,
  type Job,
  linearScan,
  placeJob,
  WorkerIndex,
} from "@proofgrid/indexer";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { priceForCost } from "../billing/pricing.ts";
import { type NetworkWorker, regionLocation } from "../dispatch/network.ts";
import { queueEstimate } from "../jobs/backpressure.ts";
import type { QueueEstimate } from "../jobs/job-view.ts";
import { ZSubmitJobRequest } from "../jobs/submit-job.ts";
import { checkModelJobInput } from "../models/check-job-input.ts";
import { liveNetwork } from "./live-network.ts";
import { marketModelOrThrow } from "./market.ts";
import { adviseNoWorker, type NoWorkerAdvice } from "./no-worker-advice.ts";
import { NO_SAMPLES, timeKey, timesToResult } from "./time-to-result.ts";

/**
 * What a submit would say about placement and price, validated exactly as a submit validates
 * it: a submit's body works as is. With `input`, the price is that input's (checked against
 * the model as a submit checks it); without, the model's reference input's.
 */
export const ZQuoteRequest = ZSubmitJobRequest.pick({ model: true, region: true, maxPricePerCu: true }).extend({
  input: z.unknown().optional(),
});
export type TQuoteRequest = z.infer<typeof ZQuoteRequest>;

/** A scored worker as the customer sees it: no worker id. */
export interface QuotedExplanation {
  score: number;
  expectedRttMs: number;
  terms: Explanation["terms"];
}

export interface Quote {
  model: string;
  modelId: string;
  /** Where the job is placed from: the request's region, else the organisation's, else the platform's. */
  clientRegion: string;
  /** The cap the placement applies: the request's, else the list price. */
  maxPricePerCu: string;
  listPricePerCu: string;
  /** What `costMilliCu`, `hold` and `price` are for: the request's `input`, or, without
   * one, the model's reference input (its base cost). */
  pricedFor: "input" | "reference-input";
  /** The job's cost in milli-CU: the input's, as a submit of it would be charged. */
  costMilliCu: number;
  /** What a submit of the same body holds from the balance: the cost at the cap, plus the royalty. */
  hold: string;
  /** An uploaded model's royalty per job, paid to its owner (base units; "0": none). A submit
   * must accept it with `maxRoyalty`. */
  royalty: string;
  available: boolean;
  via: "indexer" | "reservation" | null;
  worker: { region: string; expectedRttMs: number; askPricePerCu: string } | null;
  /** The cost at the chosen worker's ask, plus the royalty: what settlement would charge (the compute is 0 on the organisation's reserved worker: billed by the hour). */
  price: string | null;
  /** The last hour in the chosen worker's region for this model. */
  timeToResultMs: { p50: number | null; p95: number | null; samples: number } | null;
  explanation: { winner: QuotedExplanation; runnerUp: QuotedExplanation | null } | null;
  reason: {
    message: string;
    /** Per hard filter, the workers it eliminated (each at its first failing filter). */
    eliminated: Eliminated;
    code: NoWorkerAdvice["code"];
    advice: string;
    cheapestAskPerCu: string | null;
    /** Where a job submitted now would wait, when waiting is what helps (all busy). */
    queue: QueueEstimate | null;
  } | null;
}

const hide = (e: Explanation | null): QuotedExplanation | null => e && { score: e.score, expectedRttMs: e.expectedRttMs, terms: e.terms };

/**
 * Where a job of this model would go now, at what price, and why — the indexer's placeJob
 * over the live network as the dispatcher runs it (same Job shape, default options, the
 * organisation's own workers excluded, its active reservation first). Changes nothing.
 * Differences from a real round, which can only make a quote optimistic: the dispatcher also
 * skips workers cooling down after a lapsed offer and draws penalised workers by their
 * priority factor, and its fairness counts are its own (here: the last hour's assignments).
 */
export async function quoteJob(opts: { orgId: string; request: TQuoteRequest }): Promise<Quote> {
  const { orgId, request } = opts;
  const model = await marketModelOrThrow(request.model, { orgId });
  // The same check and estimate as a submit (so the same price); nothing is stored.
  const costMilliCu = request.input === undefined ? model.baseCostMilliCu : (await checkModelJobInput(model, request.input)).costMilliCu;
  const listPrice = BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  const cap = request.maxPricePerCu ?? listPrice;
  const [orgRegion, live, owed] = await Promise.all([
    loadOrgRegion(sql(), { orgId }),
    liveNetwork(),
    isCustomModelSlug(model.slug) ? royaltyFor(sql(), { orgId, modelId: model.id }) : null,
  ]);
  const royalty = owed?.payee?.amount ?? 0n;
  // An uploaded model (issue 17) is in no worker's registered models: the workers that accept
  // them can run it, as the dispatcher indexes them (copies: the live network is shared).
  const workers = isCustomModelSlug(model.slug)
    ? live.map((w) => (w.acceptsCustomModels ? { ...w, models: [...w.models, model.id] } : w))
    : live;
  const clientRegion = regionLocation(request.region ?? orgRegion).region;
  const job: Job = { modelId: model.id, orgId, clientRegion, maxPerCuBaseUnits: cap };

  const byId = new Map(workers.map((w) => [w.id, w]));
  const reservingOrgs = [...new Set(workers.flatMap((w) => (w.reservedFor ? [w.reservedFor.orgId] : [])))];
  const waiting = reservingOrgs.length === 0 ? new Set<string>() : new Set(await loadOrgsWithQueuedJobs(sql(), { orgIds: reservingOrgs }));

  let decision: Decision | null = null;
  let via: Quote["via"] = null;
  // The organisation's own reserved workers first, as the dispatcher does (no cap: billed by the hour).
  const own = workers.filter((w) => w.reservedFor?.orgId === orgId && w.freeSlots > 0);
  if (own.length > 0) {
    const d = linearScan({ ...job, maxPerCuBaseUnits: undefined }, own, { allowSameOrg: true });
    if (d.workerId) {
      decision = d;
      via = "reservation";
    }
  }
  if (!decision) {
    const index = new WorkerIndex();
    // Reserved workers serve their organisation first: others get them only while it has nothing queued.
    for (const w of workers) if (!(w.reservedFor && waiting.has(w.reservedFor.orgId))) index.upsert(w);
    decision = placeJob(job, index);
    via = decision.workerId ? "indexer" : null;
  }

  const base = {
    model: model.slug,
    modelId: model.id,
    clientRegion,
    maxPricePerCu: cap.toString(),
    listPricePerCu: listPrice.toString(),
    pricedFor: request.input === undefined ? ("reference-input" as const) : ("input" as const),
    costMilliCu,
    hold: (priceForCost(costMilliCu, cap) + royalty).toString(),
    royalty: royalty.toString(),
  };
  const chosen: NetworkWorker | undefined = decision.workerId ? byId.get(decision.workerId) : undefined;
  if (chosen && decision.expectedRttMs !== null && decision.explanation.winner) {
    const ask = via === "reservation" ? 0n : chosen.askPerCuBaseUnits;
    const t = (await timesToResult({ modelId: model.id })).get(timeKey(model.id, chosen.region)) ?? NO_SAMPLES;
    return {
      ...base,
      available: true,
      via,
      worker: { region: chosen.region, expectedRttMs: decision.expectedRttMs, askPricePerCu: ask.toString() },
      price: (priceForCost(costMilliCu, ask) + royalty).toString(),
      timeToResultMs: { p50: t.p50Ms, p95: t.p95Ms, samples: t.samples },
      explanation: { winner: hide(decision.explanation.winner) as QuotedExplanation, runnerUp: hide(decision.explanation.runnerUp) },
      reason: null,
    };
  }

  const eliminated = decision.reason?.eliminated ?? emptyEliminated();
  const serving = workers.filter((w) => w.models.includes(model.id));
  const input = {
    model: model.slug,
    orgId,
    cap,
    serving: serving.map((w) => ({
      orgId: w.orgId,
      quarantined: w.quarantined,
      minStakeOk: w.minStakeOk,
      freeSlots: w.freeSlots,
      askPerCuBaseUnits: w.askPerCuBaseUnits,
    })),
    fallback: decision.reason?.message ?? `no worker can take ${model.slug} now`,
  };
  let advice = adviseNoWorker({ ...input, queue: null });
  // A queue estimate only where waiting helps: not when the cap or the model keeps every worker out.
  let queue: QueueEstimate | null = null;
  if (advice.code === "all_busy" || advice.code === "other") {
    queue = await queueEstimate({ modelId: model.id, createdAt: new Date() });
    advice = adviseNoWorker({ ...input, queue });
  }
  logger.debug({ orgId, model: model.slug, clientRegion, code: advice.code }, "quote: no worker");
  return {
    ...base,
    available: false,
    via: null,
    worker: null,
    price: null,
    timeToResultMs: null,
    explanation: null,
    reason: {
      message: decision.reason?.message ?? advice.advice,
      eliminated,
      code: advice.code,
      advice: advice.advice,
      cheapestAskPerCu: advice.cheapestAskPerCu?.toString() ?? null,
      queue,
    },
  };
}
