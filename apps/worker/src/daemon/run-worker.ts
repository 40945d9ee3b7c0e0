import {
  hashJson,
  type LeasedJob,
  type NodeRequestOf,
  signReceipt,
  ZCompleteJobReply,
  ZFailJobReply,
  ZHeartbeatReply,
  ZLeaseReply,
} from "@proofgrid/por";
import type { WorkerConfig } from "../config.ts";
import type { NodeIdentity } from "../identity/node-identity.ts";
import type { InferencePool } from "../inference/inference-pool.ts";
import type { RunResponse } from "../inference/thread-messages.ts";
import type { Logger } from "../logger.ts";
import type { ModelCache } from "../models/model-cache.ts";
import { type NodeClient, PlatformError, sleep } from "../protocol/node-client.ts";
import { leaseLoop } from "./lease-loop.ts";
import { machineLoadSampler } from "./machine-load.ts";

/** The heartbeat's bound on `loadedModels` (ZHeartbeatRequest). */
const MAX_WARM_REPORTED = 256;

interface ActiveJob {
  attempt: number;
  /** Aborted when a heartbeat learns the lease is gone: the result will be refused. */
  lost: AbortController;
}

export interface RunWorkerOptions {
  config: WorkerConfig;
  identity: NodeIdentity;
  client: NodeClient;
  pool: InferencePool;
  log: Logger;
  /** First shutdown signal: stop leasing, finish in-flight jobs within the grace period. */
  stop: AbortSignal;
  /** How a job is executed: honestly by default. The PoR tests swap in cheating strategies. */
  execute?: JobExecutor;
  /** The disk cache customers' uploaded models are fetched into (issue 17); needed with ACCEPT_CUSTOM_MODELS. */
  models?: ModelCache;
}

export type JobExecutor = (job: LeasedJob, honest: () => Promise<RunResponse>) => Promise<RunResponse>;

/**
 * The worker daemon: `CONCURRENCY` lease loops feeding the inference pool, and one
 * heartbeat loop that renews every held lease. On `stop` it leases nothing more, lets
 * running jobs finish for up to SHUTDOWN_GRACE_MS, then hands the rest back (`release`)
 * so they are re-queued at once instead of waiting for their leases to expire.
 */
export async function runWorker(opts: RunWorkerOptions): Promise<void> {
  const { config, client, log, stop } = opts;
  const active = new Map<string, ActiveJob>();
  // Models this daemon has run: their pipelines stay loaded in the inference threads. The
  // heartbeat reports them so the indexer can prefer a warm worker.
  const warm = new Set<string>();
  // An uploaded model is warm only while its file is in the disk cache: one the cache evicted
  // must be downloaded again, and reporting it would draw jobs a cold worker then pays for.
  const uploaded = new Set<string>();
  const warmModels = () => [...warm].filter((id) => !uploaded.has(id) || opts.models?.has(id) === true);
  let heartbeatMs = config.HEARTBEAT_INTERVAL_MS || 5_000;
  const heartbeatStop = new AbortController();
  // Woken early when a lease shorter than the current period arrives.
  let kick = new AbortController();

  const machineLoad = machineLoadSampler();
  const heartbeatLoop = (async () => {
    while (!heartbeatStop.signal.aborted) {
      await sleep(heartbeatMs, AbortSignal.any([heartbeatStop.signal, kick.signal]));
      if (heartbeatStop.signal.aborted) break;
      if (kick.signal.aborted) kick = new AbortController();
      const leases = [...active].map(([jobId, a]) => ({ jobId, attempt: a.attempt }));
      try {
        const beat: NodeRequestOf<"/api/node/heartbeat"> = {
          leases,
          loadedModels: warmModels(),
          machineBusy: Math.round(machineLoad() * 1000) / 1000,
          acceptsCustomModels: config.ACCEPT_CUSTOM_MODELS,
        };
        const res = await client.post("/api/node/heartbeat", beat, ZHeartbeatReply);
        for (const l of res.leases) {
          const a = active.get(l.jobId);
          if (!l.ok && a && a.attempt === l.attempt) {
            log.warn({ jobId: l.jobId, attempt: l.attempt }, "lease lost; abandoning job");
            a.lost.abort();
          }
        }
      } catch (err) {
        log.warn({ err: String(err) }, "heartbeat failed; will retry");
      }
    }
  })();

  const runJob = async (job: LeasedJob): Promise<void> => {
    const a: ActiveJob = { attempt: job.attempt, lost: new AbortController() };
    active.set(job.jobId, a);
    if (!config.HEARTBEAT_INTERVAL_MS) {
      // Three heartbeats per lease: one lost request or a GC pause does not cost the job.
      const period = Math.max(500, Math.floor(job.leaseMs / 3));
      if (period < heartbeatMs) kick.abort();
      heartbeatMs = period;
    }
    const jlog = log.child({ jobId: job.jobId, attempt: job.attempt, model: job.modelSlug });
    jlog.info("job leased");
    try {
      const startedAt = new Date();
      const honest = () => runModel({ job, pool: opts.pool, models: opts.models, accepts: config.ACCEPT_CUSTOM_MODELS });
      const res = opts.execute ? await opts.execute(job, honest) : await honest();
      const finishedAt = new Date();
      if (res.ok) {
        // Most recently run last; bounded by what a heartbeat may carry (uploaded models are unbounded).
        warm.delete(job.modelId);
        warm.add(job.modelId);
        if (job.custom) uploaded.add(job.modelId);
        if (warm.size > MAX_WARM_REPORTED) {
          const oldest = warm.values().next().value as string;
          warm.delete(oldest);
          uploaded.delete(oldest);
        }
      }
      if (a.lost.signal.aborted) return;
      if (!res.ok) {
        jlog.warn({ error: res.error, inputError: res.inputError }, "inference failed");
        const failure: NodeRequestOf<"/api/node/fail"> = {
          jobId: job.jobId,
          attempt: job.attempt,
          kind: "error",
          retryable: !res.inputError,
          error: res.error,
        };
        await client
          .postWithRetry("/api/node/fail", failure, ZFailJobReply, { maxDelayMs: config.RETRY_MAX_DELAY_MS, maxAttempts: 8 })
          .catch((err) => jlog.warn({ err: String(err) }, "could not report failure; the lease will expire"));
        return;
      }
      const receipt = signReceipt(
        {
          v: 1,
          jobId: job.jobId,
          attempt: job.attempt,
          modelId: job.modelId,
          inputHash: hashJson(job.input),
          outputHash: hashJson(res.output),
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          inferenceMs: Math.round(res.inferenceMs * 1000) / 1000,
          nodeId: opts.identity.nodeId,
        },
        opts.identity.privateKey,
      );
      try {
        // Completion is idempotent on the platform (job id + attempt), so retrying after a
        // lost response is safe; the bound keeps a dead platform from holding us forever.
        const completion: NodeRequestOf<"/api/node/complete"> = { jobId: job.jobId, attempt: job.attempt, output: res.output, receipt };
        await client.postWithRetry("/api/node/complete", completion, ZCompleteJobReply, {
          maxDelayMs: config.RETRY_MAX_DELAY_MS,
          maxAttempts: 30,
          onRetry: (err, n) => jlog.warn({ err: String(err), n }, "complete failed; retrying"),
        });
        jlog.info({ inferenceMs: Math.round(res.inferenceMs) }, "job completed");
      } catch (err) {
        if (err instanceof PlatformError && err.status === 409) jlog.warn({ reason: err.message }, "result refused: lease lost");
        else jlog.error({ err: String(err) }, "could not deliver result");
      }
    } catch (err) {
      jlog.error({ err: String(err) }, "job crashed");
      await client
        .post(
          "/api/node/fail",
          {
            jobId: job.jobId,
            attempt: job.attempt,
            kind: "error",
            retryable: true,
            error: String(err).slice(0, 2_000),
          } satisfies NodeRequestOf<"/api/node/fail">,
          ZFailJobReply,
        )
        .catch(() => undefined);
    } finally {
      active.delete(job.jobId);
    }
  };

  const loops = Promise.all(
    Array.from({ length: config.CONCURRENCY }, (_, slot) =>
      leaseLoop({
        client,
        config,
        log,
        stop,
        slot,
        path: "/api/node/lease",
        waitMs: config.LEASE_WAIT_MS,
        reply: ZLeaseReply,
        take: (reply) => reply.job,
        run: runJob,
      }),
    ),
  );
  await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener("abort", () => resolve(), { once: true })));
  log.info({ inFlight: active.size, graceMs: config.SHUTDOWN_GRACE_MS }, "stopping: no new leases; finishing in-flight jobs");

  const drained = await Promise.race([loops.then(() => true), sleep(config.SHUTDOWN_GRACE_MS).then(() => false)]);
  if (!drained) {
    // Grace period over: hand back what is still running so it is re-queued now.
    await Promise.all(
      [...active].map(([jobId, a]) => {
        a.lost.abort();
        return client
          .post(
            "/api/node/fail",
            {
              jobId,
              attempt: a.attempt,
              kind: "release",
              retryable: true,
              error: "worker shutting down",
            } satisfies NodeRequestOf<"/api/node/fail">,
            ZFailJobReply,
          )
          .then(() => log.info({ jobId }, "released in-flight job"))
          .catch((err) => log.warn({ jobId, err: String(err) }, "release failed; the lease will expire"));
      }),
    );
  }
  heartbeatStop.abort();
  await heartbeatLoop;
}

/**
 * Runs a leased job's model: a catalog model by its slug; an uploaded one (issue 17) from the
 * cache, downloaded once over the signed protocol and verified against its sha256 before it is
 * used, held so no eviction removes it while the thread reads it (the thread hashes the bytes
 * again before it makes a session of them). A worker that did not opt in refuses the job
 * (retryable: another worker takes it); the platform should never have offered it.
 */
export async function runModel(opts: {
  job: Pick<LeasedJob, "modelId" | "modelSlug" | "input" | "custom">;
  pool: InferencePool;
  models: ModelCache | undefined;
  accepts: boolean;
}): Promise<RunResponse> {
  const { job, pool } = opts;
  if (!job.custom) return pool.run(job.modelSlug, job.input);
  if (!opts.accepts || !opts.models) {
    return { id: 0, ok: false, error: "this worker does not run custom models (ACCEPT_CUSTOM_MODELS is off)", inputError: false };
  }
  if (job.custom.modelId !== job.modelId) {
    return { id: 0, ok: false, error: `the lease names model ${job.modelId} but carries ${job.custom.modelId}`, inputError: false };
  }
  const held = await opts.models.acquire(job.modelId, { size: job.custom.fileBytes });
  try {
    return await pool.run(job.modelSlug, job.input, { modelId: job.modelId, path: held.path, signature: job.custom.signature });
  } finally {
    held.release();
  }
}
