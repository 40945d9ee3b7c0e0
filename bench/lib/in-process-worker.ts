/**
 * A worker daemon run in the bench's process for the custom-models part (issue 17): the
 * daemon's own runWorker with its ModelCache (downloads by NodeClient.downloadModel, verified
 * by sha256) and InferencePool (createCustomPipeline in the inference thread), registered with
 * the stack through the real `register` command. The bench watches it through seams the
 * daemon already has, changing nothing it does:
 *
 * - `execute` (runWorker's JobExecutor, the PoR tests' seam) runs the honest path and records
 *   per job whether the model was in the cache when the job reached the worker, and timings;
 * - the cache's `acquire` is timed (download, hash, move into the cache);
 * - `reportWarm: false` sends heartbeats with no warm models: the indexer's warm-model
 *   preference has nothing to prefer, the baseline of the hit rate.
 */
import type { LeasedJob } from "@proofgrid/por";
import pino from "pino";
import { loadConfig } from "../../apps/worker/src/config.ts";
import { sayGoodbye } from "../../apps/worker/src/daemon/goodbye.ts";
import { runWorker } from "../../apps/worker/src/daemon/run-worker.ts";
import { loadIdentity } from "../../apps/worker/src/identity/node-identity.ts";
import { InferencePool } from "../../apps/worker/src/inference/inference-pool.ts";
import type { Logger } from "../../apps/worker/src/logger.ts";
import { ModelCache } from "../../apps/worker/src/models/model-cache.ts";
import { NodeClient } from "../../apps/worker/src/protocol/node-client.ts";
import type { Stack } from "../../tests/support/stack.ts";

export interface JobRecord {
  jobId: string;
  modelId: string;
  workerId: string;
  /** The model's file was in this worker's cache when the job reached it (no download). */
  cached: boolean;
  /** runModel from start to result: acquire + (session creation if cold) + inference. */
  runMs: number;
  /** The cache's acquire: a download, hash check and move when cold; a lookup when cached. */
  acquireMs: number;
  /** session.run and the pipeline's tensor conversion, as the inference thread measures it. */
  inferenceMs: number;
}

export interface InProcessWorker {
  nodeId: string;
  cache: ModelCache;
  /** Stops leasing, lets the running job finish, says goodbye (offline at once), closes its threads. */
  stop(): Promise<void>;
}

export interface StartWorkerOptions {
  stack: Stack;
  name: string;
  /** The cache's bound on the models' bytes together (the daemon's MODEL_CACHE_MAX_BYTES, which has a floor of 64 MiB). */
  cacheMaxBytes: number;
  /** false: heartbeats report no warm models. */
  reportWarm: boolean;
  /** Every job's record, as it completes. */
  onJob: (r: JobRecord) => void;
  /** The daemon's config, over the defaults (strings, as from the environment). */
  config?: Record<string, string>;
}

/** Registers a node (ACCEPT_CUSTOM_MODELS on) with the stack and runs its daemon here until `stop`. */
export async function startInProcessWorker(opts: StartWorkerOptions): Promise<InProcessWorker> {
  const env = { ACCEPT_CUSTOM_MODELS: "1", LOG_LEVEL: "warn" };
  // Registered and staked by the real command; the spawned process only prints --help.
  const handle = await opts.stack.addWorker(opts.name, env, { start: false });
  const config = loadConfig({ ...env, PROOFGRID_URL: opts.stack.url, PROOFGRID_NODE_DIR: handle.nodeDir, ...opts.config });
  const identity = loadIdentity(handle.nodeDir);
  // The daemon's logger (logger.ts), on stderr: stdout carries the bench's JSON lines.
  const log: Logger = pino({ level: config.LOG_LEVEL, base: { svc: "worker", node: opts.name } }, pino.destination(2));
  const client = new NodeClient(identity, config.REQUEST_TIMEOUT_MS, { session: config.NODE_SESSION === "on" });
  if (!opts.reportWarm) {
    const post = client.post.bind(client) as (path: string, payload: unknown, ...rest: unknown[]) => Promise<unknown>;
    client.post = ((path: string, payload: unknown, ...rest: unknown[]) =>
      post(path, path === "/api/node/heartbeat" ? { ...(payload as object), loadedModels: [] } : payload, ...rest)) as typeof client.post;
  }
  const cache = new ModelCache({
    dir: `${handle.nodeDir}/models`,
    maxBytes: opts.cacheMaxBytes,
    fetchRange: (id, from, signal) => client.downloadModel(id, from, { signal }),
  });
  let acquireMs = 0;
  const acquire = cache.acquire.bind(cache);
  cache.acquire = async (id, o) => {
    const t0 = performance.now();
    try {
      return await acquire(id, o);
    } finally {
      acquireMs = performance.now() - t0;
    }
  };
  const pool = new InferencePool(
    config.CONCURRENCY,
    { intraOpNumThreads: config.INTRA_OP_THREADS, graphOptimizationLevel: config.GRAPH_OPTIMIZATION, executionProvider: "cpu" },
    { timeoutMs: config.INFERENCE_TIMEOUT_MS, heapMb: config.INFERENCE_HEAP_MB },
  );
  // One job at a time (CONCURRENCY 1), so `acquireMs` is this job's.
  if (config.CONCURRENCY !== 1) throw new Error("in-process bench worker: CONCURRENCY must be 1");
  const execute = async (job: LeasedJob, honest: () => ReturnType<typeof pool.run>) => {
    const cached = cache.has(job.modelId);
    acquireMs = 0;
    const t0 = performance.now();
    const res = await honest();
    const runMs = performance.now() - t0;
    if (res.ok) {
      opts.onJob({
        jobId: job.jobId,
        modelId: job.modelId,
        workerId: identity.nodeId,
        cached,
        runMs,
        acquireMs,
        inferenceMs: res.inferenceMs,
      });
    }
    return res;
  };
  const stop = new AbortController();
  const running = runWorker({ config, identity, client, pool, log, stop: stop.signal, models: cache, execute });
  return {
    nodeId: identity.nodeId,
    cache,
    async stop() {
      stop.abort();
      await running;
      await sayGoodbye({ client, log, timeoutMs: 5_000 });
      client.close();
      await pool.close();
    },
  };
}
