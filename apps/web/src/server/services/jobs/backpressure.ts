import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import type { QueueEstimate } from "./job-view.ts";

interface ModelLoad {
  at: number;
  queued: number;
  slots: number;
  /** Jobs of this model finished per second over the last five minutes. */
  throughputPerSec: number;
}

const CACHE_MS = 1_000;
const loads = new Map<string, ModelLoad>();

/** Queue depth, online capacity and recent throughput for a model, cached for a second. */
async function modelLoad(modelId: string): Promise<ModelLoad> {
  const hit = loads.get(modelId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit;
  const rows = await sql().$queryRaw<{ queued: number; slots: number; done: number; span_s: number | null }[]>`
    SELECT (SELECT count(*) FROM jobs WHERE state = 'queued' AND model_id = ${modelId})::int AS queued,
           (SELECT coalesce(sum(max_concurrency), 0) FROM nodes
             WHERE role = 'worker' AND status = 'online' AND ${modelId} = ANY(models))::int AS slots,
           d.done, d.span_s
    FROM (SELECT count(*)::int AS done, extract(epoch FROM now() - min(finished_at))::float8 AS span_s FROM jobs
          WHERE model_id = ${modelId} AND state = 'succeeded' AND finished_at > now() - interval '5 minutes') d`;
  const r = rows[0] ?? { queued: 0, slots: 0, done: 0, span_s: null };
  // Over the last five minutes, or since the first finish in them (a network that just
  // started is not judged by minutes it was not running); at least 10 s.
  const span = Math.min(300, Math.max(10, r.span_s ?? 300));
  const load = { at: Date.now(), queued: r.queued, slots: r.slots, throughputPerSec: r.done / span };
  loads.set(modelId, load);
  return load;
}

/** Where a queued job stands: its position in its model's queue and when it should start. */
export async function queueEstimate(job: { modelId: string; createdAt: Date }): Promise<QueueEstimate> {
  const [load, ahead] = await Promise.all([
    modelLoad(job.modelId),
    sql().$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND model_id = ${job.modelId} AND created_at < ${job.createdAt}`,
  ]);
  const position = (ahead[0]?.n ?? 0) + 1;
  if (load.slots === 0) return { position, estimatedStartMs: null, reason: "no online worker serves this model yet" };
  if (load.throughputPerSec <= 0) return { position, estimatedStartMs: null, reason: null };
  return { position, estimatedStartMs: Math.round((position / load.throughputPerSec) * 1000), reason: null };
}

/**
 * Backpressure before a job is accepted: a 429 with a Retry-After when the organisation
 * already has too many jobs queued, or when the model's queue would take longer than
 * MAX_QUEUE_WAIT_MS to drain at the network's recent throughput. A model no online worker
 * serves yet is accepted and waits (its job view says so).
 */
export async function assertAdmissible(opts: { orgId: string; modelId: string }): Promise<void> {
  const env = getEnv();
  const own = await sql().$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM jobs WHERE org_id = ${opts.orgId}::uuid AND state = 'queued' LIMIT ${env.ORG_MAX_QUEUED_JOBS}
    ) q`;
  if ((own[0]?.n ?? 0) >= env.ORG_MAX_QUEUED_JOBS) {
    throw new AppError("RATE_LIMITED", `your organisation has ${env.ORG_MAX_QUEUED_JOBS} jobs queued, the most allowed: wait for some to finish`, {
      reason: "org_queue_full",
      retryAfterSeconds: 5,
    });
  }
  const load = await modelLoad(opts.modelId);
  if (load.slots === 0 || load.throughputPerSec <= 0) return;
  const waitMs = (load.queued / load.throughputPerSec) * 1000;
  if (waitMs > env.MAX_QUEUE_WAIT_MS) {
    throw new AppError("RATE_LIMITED", `the network is full for this model: about ${Math.round(waitMs / 1000)} s of queued work; retry later`, {
      reason: "network_full",
      estimatedWaitMs: Math.round(waitMs),
      retryAfterSeconds: Math.ceil(Math.min(waitMs, 3_600_000) / 1000 / 10),
    });
  }
}
