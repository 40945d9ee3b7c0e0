/**
 * The custom-models part of `npm run bench` (issue 17's must-show), on a stack of its own:
 *
 * 1. Cold start against warm for a ~20 MB uploaded model. Cold: the first job of a model on
 *    a worker — the worker downloads it by hash over the signed node protocol (ranged GET),
 *    checks its sha256, moves it into its cache, the inference thread makes the onnxruntime
 *    session, then runs it. Warm: the same job again, the file cached and the session loaded.
 *    Each repetition uploads another model of the same shape (other weights, so another id)
 *    and runs its cold job then its warm job, submit → result over the API.
 * 2. The cache hit rate of the indexer's warm-model preference: several workers with small
 *    LRU caches, several uploaded models, one mixed stream of jobs (skewed popularity, the
 *    same seeded stream twice). A hit: the job reached a worker that had the model's file
 *    cached (no download). Baseline, same run: fresh workers whose heartbeats report no
 *    warm models, so the preference has nothing to prefer (placement otherwise unchanged).
 *
 * The workers are the daemon's code in this process (lib/in-process-worker.ts): runWorker,
 * ModelCache, NodeClient, InferencePool — nothing of them replaced.
 */
import { createPrng } from "@proofgrid/por";
import { createPrismaClient } from "@proofgrid/db/client";
import { api, type Stack, startStack } from "../tests/support/stack.ts";
import { LARGE_MODEL, matMulInput, matMulModel, type RegisteredModel, SMALL_MODEL, uploadModel } from "./lib/custom-model-files.ts";
import { type InProcessWorker, type JobRecord, startInProcessWorker } from "./lib/in-process-worker.ts";
import { median, progress, report } from "./report.ts";

export interface CustomModelsOptions {
  database: { url: string; drop(): Promise<void> };
  /** Started stacks, for main's cleanup on a failure. */
  stacks: Stack[];
  /** Cold/warm pairs, one uploaded ~20 MB model each. */
  reps: number;
  /** Jobs in each hit-rate stream. */
  jobs: number;
}

/** The hit-rate workload: workers, models, a cache bound in models, clients and their think time. */
const HIT_WORKERS = 3;
const HIT_MODELS = 8;
const HIT_CACHE_MODELS = 2;
const HIT_CLIENTS = 2;
const HIT_GAP_MS = 200;
/** Zipf exponent of the models' popularity. */
const HIT_ZIPF = 1;
/**
 * The in-process workers' heartbeat period. The daemon's default is a third of the lease
 * (5 s with the bench's 15 s leases); this stream puts several jobs in each second, so the
 * default would measure mostly the staleness of the reports. A setting the daemon has.
 */
const HIT_HEARTBEAT_MS = 1_000;

interface JobOut {
  id: string;
  state: string;
  placement?: { explanation?: { winner?: { terms?: { warm?: { value?: number } } } } | null } | null;
}

async function runJob(stack: Stack, model: string, input: unknown): Promise<{ id: string; ms: number; indexerSawWarm: boolean }> {
  const t0 = performance.now();
  const sub = await api<JobOut>(stack, "/api/v1/jobs", { body: { model, input } });
  if (sub.status !== 201) throw new Error(`submit failed: ${sub.status} ${JSON.stringify(sub.body).slice(0, 300)}`);
  const done = await api<JobOut>(stack, `/api/v1/jobs/${sub.body.id}?wait=60000`);
  const ms = performance.now() - t0;
  if (done.body.state !== "succeeded") throw new Error(`job ${sub.body.id} ended ${done.body.state}`);
  return { id: sub.body.id, ms, indexerSawWarm: done.body.placement?.explanation?.winner?.terms?.warm?.value === 1 };
}

/** Waits until the platform shows every one of `nodeIds` online (their first lease poll or heartbeat). */
async function waitOnline(stack: Stack, nodeIds: string[]): Promise<void> {
  const prisma = createPrismaClient(stack.database.url, { maxConnections: 1 });
  try {
    const deadline = Date.now() + 30_000;
    while ((await prisma.node.count({ where: { id: { in: nodeIds }, status: "online" } })) < nodeIds.length) {
      if (Date.now() > deadline) throw new Error(`workers not online after 30 s: ${nodeIds.join(", ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await prisma.$disconnect();
  }
}

interface ColdWarm {
  cold: { e2e: number[]; run: number[]; acquire: number[]; session: number[] };
  warm: { e2e: number[]; run: number[]; acquire: number[]; session: number[] };
  modelBytes: number;
}

/** Part 1: `reps` ~20 MB models, each run cold then warm on one worker. */
async function coldVsWarm(stack: Stack, reps: number): Promise<ColdWarm> {
  const records = new Map<string, JobRecord>();
  const worker = await startInProcessWorker({
    stack,
    name: "cold-start",
    cacheMaxBytes: 1024 * 1024 * 1024,
    reportWarm: true,
    onJob: (r) => records.set(r.jobId, r),
  });
  const out: ColdWarm = {
    cold: { e2e: [], run: [], acquire: [], session: [] },
    warm: { e2e: [], run: [], acquire: [], session: [] },
    modelBytes: 0,
  };
  try {
    await waitOnline(stack, [worker.nodeId]);
    // The path itself warmed up (lease loop, node session, inference thread) on a small model.
    const small = await uploadModel(stack, matMulModel(SMALL_MODEL, 999), "bench warm-up");
    for (let i = 0; i < 2; i++) await runJob(stack, small.slug, matMulInput(SMALL_MODEL));
    const input = matMulInput(LARGE_MODEL);
    for (let rep = 0; rep < reps; rep++) {
      const bytes = matMulModel(LARGE_MODEL, rep + 1);
      out.modelBytes = bytes.byteLength;
      progress(`custom models: cold/warm ${rep + 1}/${reps}: uploading ${(bytes.byteLength / 1e6).toFixed(1)} MB`);
      const model = await uploadModel(stack, bytes, `bench cold start ${rep + 1}`);
      for (const phase of ["cold", "warm"] as const) {
        const job = await runJob(stack, model.slug, input);
        const r = records.get(job.id);
        if (!r) throw new Error(`job ${job.id}: the in-process worker did not run it`);
        if (r.cached !== (phase === "warm")) throw new Error(`job ${job.id}: expected a ${phase} run, the cache said cached=${r.cached}`);
        const into = out[phase];
        into.e2e.push(job.ms);
        into.run.push(r.runMs);
        into.acquire.push(r.acquireMs);
        // Besides the download: the thread hashes the file again and makes the session (cold), or finds it (warm).
        into.session.push(r.runMs - r.acquireMs - r.inferenceMs);
      }
    }
    return out;
  } finally {
    await worker.stop();
  }
}

/** Indices into the models, popularity ∝ 1/rank^HIT_ZIPF, from a seeded stream: the same jobs for every phase. */
function mixedStream(models: number, jobs: number): number[] {
  const weights = Array.from({ length: models }, (_, i) => 1 / (i + 1) ** HIT_ZIPF);
  const total = weights.reduce((a, b) => a + b, 0);
  const prng = createPrng("bench-custom-models-stream");
  return Array.from({ length: jobs }, () => {
    let u = prng.nextFloat() * total;
    for (let i = 0; i < models; i++) {
      u -= weights[i] as number;
      if (u < 0) return i;
    }
    return models - 1;
  });
}

/**
 * The hit rate random placement would give each worker's LRU cache of `slots` models under
 * these popularities (Che's approximation: each model stays for a characteristic time T with
 * Σ (1 − e^(−p·T)) = slots): what the preference is to beat with no measurement of its own.
 */
function randomPlacementHitRate(popularity: number[], slots: number): number {
  if (slots >= popularity.length) return 1;
  const filled = (t: number) => popularity.reduce((s, p) => s + (1 - Math.exp(-p * t)), 0);
  let lo = 0;
  let hi = 1;
  while (filled(hi) < slots) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (filled(mid) < slots) lo = mid;
    else hi = mid;
  }
  return popularity.reduce((s, p) => s + p * (1 - Math.exp(-p * hi)), 0);
}

interface HitRate {
  jobs: number;
  hits: number;
  indexerSawWarm: number;
  /** The indexer's winner was warm by its heartbeat, yet the model's file was not in its cache. */
  reportedWarmNotCached: number;
  perWorker: number[];
  jobsPerS: number;
}

/** Part 2, one phase: fresh workers, the stream sent by HIT_CLIENTS closed-loop clients. */
async function hitRate(stack: Stack, phase: string, models: RegisteredModel[], stream: number[], reportWarm: boolean): Promise<HitRate> {
  const records = new Map<string, JobRecord>();
  const modelBytes = Math.max(...models.map((m) => m.bytes));
  const workers: InProcessWorker[] = [];
  try {
    for (let i = 0; i < HIT_WORKERS; i++) {
      workers.push(
        await startInProcessWorker({
          stack,
          name: `${phase}-${i + 1}`,
          // Room for HIT_CACHE_MODELS models, not one more.
          cacheMaxBytes: Math.floor((HIT_CACHE_MODELS + 0.5) * modelBytes),
          reportWarm,
          onJob: (r) => records.set(r.jobId, r),
          config: { HEARTBEAT_INTERVAL_MS: String(HIT_HEARTBEAT_MS), INTRA_OP_THREADS: "1" },
        }),
      );
    }
    await waitOnline(
      stack,
      workers.map((w) => w.nodeId),
    );
    const input = matMulInput(SMALL_MODEL);
    const prng = createPrng(`bench-custom-models-gaps-${phase}`);
    const sawWarm = new Map<string, boolean>();
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: HIT_CLIENTS }, async () => {
        while (next < stream.length) {
          const model = models[stream[next++] as number] as RegisteredModel;
          const job = await runJob(stack, model.slug, input);
          ids.push(job.id);
          sawWarm.set(job.id, job.indexerSawWarm);
          await new Promise((r) => setTimeout(r, HIT_GAP_MS * 2 * prng.nextFloat()));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const ran = ids.map((id) => {
      const r = records.get(id);
      if (!r) throw new Error(`job ${id}: no in-process worker ran it`);
      return r;
    });
    return {
      jobs: ran.length,
      hits: ran.filter((r) => r.cached).length,
      indexerSawWarm: ran.filter((r) => sawWarm.get(r.jobId)).length,
      reportedWarmNotCached: ran.filter((r) => sawWarm.get(r.jobId) && !r.cached).length,
      perWorker: workers.map((w) => ran.filter((r) => r.workerId === w.nodeId).length),
      jobsPerS: ran.length / seconds,
    };
  } finally {
    for (const w of workers) await w.stop();
  }
}

/** Runs both measurements on a stack of its own and reports them (JSON lines on stdout). */
export async function customModelsPart(opts: CustomModelsOptions): Promise<void> {
  progress("custom models: stack");
  const stack = await startStack({ database: opts.database, leaseMs: 15_000, env: { JOB_NOTIFY: "1", LOG_LEVEL: "warn" } });
  opts.stacks.push(stack);
  let coldWarm: ColdWarm;
  let preferred: HitRate;
  let baseline: HitRate;
  const stream = mixedStream(HIT_MODELS, opts.jobs);
  try {
    coldWarm = await coldVsWarm(stack, opts.reps);

    progress(`custom models: hit rate: uploading ${HIT_MODELS} small models`);
    const models: RegisteredModel[] = [];
    for (let i = 0; i < HIT_MODELS; i++) models.push(await uploadModel(stack, matMulModel(SMALL_MODEL, 100 + i), `bench mix ${i + 1}`));
    progress(`custom models: hit rate, warm-model preference: ${opts.jobs} jobs, ${HIT_WORKERS} workers, ${HIT_MODELS} models`);
    preferred = await hitRate(stack, "pref", models, stream, true);
    progress(`custom models: hit rate, baseline (heartbeats report no warm models): ${opts.jobs} jobs`);
    baseline = await hitRate(stack, "base", models, stream, false);
  } finally {
    await stack.stop();
    opts.stacks.splice(opts.stacks.indexOf(stack), 1);
  }

  const ms = (xs: number[]) => Math.round(median(xs));
  report({
    name: "custom_model_cold_start_p50",
    value: median(coldWarm.cold.e2e),
    unit: "ms",
    baseline: median(coldWarm.warm.e2e),
    goal: null,
    note: `submit→result of a ${(coldWarm.modelBytes / 1e6).toFixed(1)} MB uploaded model's first job on a worker (download by hash over the signed protocol, sha256 check, cache, session) vs the same job again (cached, session loaded); medians of ${opts.reps}`,
    detail: {
      reps: opts.reps,
      modelBytes: coldWarm.modelBytes,
      // On the worker, from lease to result: the cache's acquire (download + hash + move),
      // then the thread's own hash of the file and the session creation.
      cold: { workerMs: ms(coldWarm.cold.run), acquireMs: ms(coldWarm.cold.acquire), sessionMs: ms(coldWarm.cold.session) },
      warm: { workerMs: ms(coldWarm.warm.run), acquireMs: ms(coldWarm.warm.acquire), sessionMs: ms(coldWarm.warm.session) },
      workerRatio: Math.round((median(coldWarm.cold.run) / median(coldWarm.warm.run)) * 10) / 10,
    },
  });
  const popularity = Array.from({ length: HIT_MODELS }, (_, i) => 1 / (i + 1) ** HIT_ZIPF);
  const sum = popularity.reduce((a, b) => a + b, 0);
  const random = randomPlacementHitRate(
    popularity.map((p) => p / sum),
    HIT_CACHE_MODELS,
  );
  const rate = (h: HitRate) => h.hits / h.jobs;
  report({
    name: "custom_model_cache_hit_rate",
    value: rate(preferred),
    unit: "fraction",
    baseline: rate(baseline),
    goal: null,
    note: `jobs that reached a worker with the model already cached: the indexer's warm-model preference vs the same stream on fresh workers whose heartbeats report no warm models; ${HIT_WORKERS} workers caching ${HIT_CACHE_MODELS} models each, ${HIT_MODELS} models of Zipf(${HIT_ZIPF}) popularity, ${opts.jobs} jobs from ${HIT_CLIENTS} clients`,
    detail: {
      preference: summary(preferred),
      baseline: summary(baseline),
      randomPlacementExpected: Math.round(random * 1000) / 1000,
      heartbeatMs: HIT_HEARTBEAT_MS,
      clientGapMs: HIT_GAP_MS,
    },
  });
}

function summary(h: HitRate) {
  return {
    jobs: h.jobs,
    hits: h.hits,
    indexerSawWarm: h.indexerSawWarm,
    reportedWarmNotCached: h.reportedWarmNotCached,
    perWorker: h.perWorker,
    jobsPerS: Math.round(h.jobsPerS * 10) / 10,
  };
}
