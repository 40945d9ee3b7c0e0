import { countOrgQueuedJobs, countQueuedAhead, loadModelLoad } from "@proofgrid/db/jobs/queue-load";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import type { QueueEstimate } from "./job-view.ts";

interface ModelLoad {
  at: number;
  queued: number;
  slots: number;
  /** Jobs of this model the network can finish per second (see drainRate). */
  throughputPerSec: number;
}

const CACHE_MS = 1_000;
// Needs no bound: keys are catalog model ids (submitJob resolves the model first), a set only a deploy grows.
const loads = new Map<string, ModelLoad>();

/**
 * How fast a model's queue drains, in jobs per second: the larger of
 *  - what the network finished over the last five minutes (since the first finish in them,
 *    at least 10 s), and
 *  - what its online slots can do at the median run time of the last 200 jobs.
 * The first alone is low whenever demand, not capacity, was the limit: a network that just
 * started, or one that sat idle, finished few jobs and would turn away the first burst
 * (measured: 3 workers with 5 slots refused the 100th encoder job of a burst, on CI, at
 * ~0.3 jobs/s observed where they run ~100 a second). The larger of the two is optimistic
 * when other models' jobs fill the same slots: the bound then admits more than the model's
 * queue drains in MAX_QUEUE_WAIT_MS. It guards against runaway queues; it promises no wait.
 */
export function drainRate(r: { done: number; spanS: number | null; slots: number; medianRunS: number | null }): number {
  const span = Math.min(300, Math.max(10, r.spanS ?? 300));
  const observed = r.done / span;
  const capacity = r.medianRunS && r.medianRunS > 0 ? r.slots / r.medianRunS : 0;
  return Math.max(observed, capacity);
}

/** Queue depth, online capacity and drain rate for a model, cached for a second. */
async function modelLoad(modelId: string): Promise<ModelLoad> {
  const hit = loads.get(modelId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit;
  const r = (await loadModelLoad(sql(), { modelId })) ?? { queued: 0, slots: 0, done: 0, span_s: null, median_run_s: null };
  const load = {
    at: Date.now(),
    queued: r.queued,
    slots: r.slots,
    throughputPerSec: drainRate({ done: r.done, spanS: r.span_s, slots: r.slots, medianRunS: r.median_run_s }),
  };
  loads.set(modelId, load);
  return load;
}

/** Where a queued job stands: its position in its model's queue and when it should start. */
export async function queueEstimate(job: { modelId: string; createdAt: Date }): Promise<QueueEstimate> {
  const [load, ahead] = await Promise.all([
    modelLoad(job.modelId),
    countQueuedAhead(sql(), { modelId: job.modelId, createdAt: job.createdAt }),
  ]);
  const position = ahead + 1;
  if (load.slots === 0) return { position, estimatedStartMs: null, reason: "no online worker serves this model yet" };
  if (load.throughputPerSec <= 0) return { position, estimatedStartMs: null, reason: null };
  return { position, estimatedStartMs: Math.round((position / load.throughputPerSec) * 1000), reason: null };
}

/**
 * Backpressure before a job is accepted: a 429 with a Retry-After when the organisation
 * already has too many jobs queued, or when the model's queue would take longer than
 * MAX_QUEUE_WAIT_MS to drain (drainRate). A model no online worker
 * serves yet is accepted and waits (its job view says so).
 */
export async function assertAdmissible(opts: {
  orgId: string;
  modelId: string;
  /** The organisation's queued jobs, counted up to ORG_MAX_QUEUED_JOBS, when the caller read them (readSpendControls). */
  queued?: number | null;
}): Promise<void> {
  const env = getEnv();
  const own = opts.queued ?? (await countOrgQueuedJobs(sql(), { orgId: opts.orgId, limit: env.ORG_MAX_QUEUED_JOBS }));
  if (own >= env.ORG_MAX_QUEUED_JOBS) {
    throw new AppError(
      "RATE_LIMITED",
      `your organisation has ${env.ORG_MAX_QUEUED_JOBS} jobs queued, the most allowed: wait for some to finish`,
      {
        reason: "org_queue_full",
        retryAfterSeconds: 5,
      },
    );
  }
  await assertNetworkAdmits(opts.modelId);
}

/**
 * The network-wide half of assertAdmissible: a 429 when the model's queue holds more than
 * MAX_QUEUE_WAIT_MS of work at its measured drain rate (its load is cached, so this rarely
 * reads the database).
 */
export async function assertNetworkAdmits(modelId: string): Promise<void> {
  const env = getEnv();
  const load = await modelLoad(modelId);
  if (load.slots === 0 || load.throughputPerSec <= 0) return;
  const waitMs = (load.queued / load.throughputPerSec) * 1000;
  if (waitMs > env.MAX_QUEUE_WAIT_MS) {
    throw new AppError(
      "RATE_LIMITED",
      `the network is full for this model: about ${Math.round(waitMs / 1000)} s of queued work; retry later`,
      {
        reason: "network_full",
        estimatedWaitMs: Math.round(waitMs),
        retryAfterSeconds: Math.ceil(Math.min(waitMs, 3_600_000) / 1000 / 10),
      },
    );
  }
}
