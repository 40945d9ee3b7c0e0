/**
 * `npm run bench`: the marketplace core measured in one run, on real processes —
 * embedded Postgres, the production web build, the coordinator, worker daemons — with
 * each figure next to a baseline measured in the same run. JSON lines on stdout; the lines
 * of issue 15's goals carry the goal and whether this run met it (`met`).
 *
 *   npm run bench [-- --only pgboss,burst]   (parts: see PARTS)
 *   npm run bench -- --only scaleout --scaleout-jobs 60   (a short check of one part)
 *   npm run bench -- --only custom-models --custom-reps 2 --custom-jobs 24   (a short check)
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createDatabase, dropDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import { createPrismaClient, disconnectPrisma } from "@proofgrid/db/client";
import { closePgPool } from "@proofgrid/db/sql-client";
import { claimJob } from "@proofgrid/db/jobs";
import { createPipeline } from "@proofgrid/models";
import { benchmarkInputs, syntheticWav } from "../apps/worker/src/bench/bench-inputs.ts";
import { InferencePool } from "../apps/worker/src/inference/inference-pool.ts";
import { ensureWebBuild } from "../scripts/lib/processes.ts";
import { api, type Stack, type StackOptions, startStack } from "../tests/support/stack.ts";
import { webProcessesAnswering } from "../tests/support/web-processes.ts";
import { customModelsPart } from "./custom-models.ts";
import { completionCapacity } from "./lib/completion-capacity.ts";
import { generateNodeKeyPair, sign, signUncached } from "@proofgrid/por";
import { cpuPerJob } from "./lib/cpu-budget.ts";
import { measurePgBossDrain } from "./lib/pgboss-drain.ts";
import { median, progress, quantile, report } from "./report.ts";

/** The parts `--only` selects; all of them by default. */
const PARTS = [
  "dispatch",
  "ocr",
  "vad",
  "embeddings",
  "throughput",
  "batch",
  "burst",
  "scaleout",
  "pgboss",
  "eld",
  "custom-models",
  "group-commit",
  "ed25519",
  "ort-spin",
] as const;
type Part = (typeof PARTS)[number];

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    "scaleout-jobs": { type: "string", default: "300" },
    "custom-reps": { type: "string", default: "7" },
    "custom-jobs": { type: "string", default: "160" },
  },
});

function selectedParts(): ReadonlySet<Part> {
  if (!args.only) return new Set(PARTS);
  const names = args.only
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) throw new Error(`--only: unknown part(s) ${unknown.join(", ")}; parts: ${PARTS.join(", ")}`);
  return new Set(names as Part[]);
}

/** The scale-out part: tiny jobs per stack (`--scaleout-jobs`), sent by this many clients. */
const SCALEOUT_JOBS = Number(args["scaleout-jobs"]);
if (!Number.isInteger(SCALEOUT_JOBS) || SCALEOUT_JOBS < 1 || SCALEOUT_JOBS > 100_000) throw new Error("--scaleout-jobs: 1 to 100000");
const SCALEOUT_CLIENTS = 8;

/** The custom-models part: cold/warm pairs of a ~20 MB model (`--custom-reps`), jobs per hit-rate stream (`--custom-jobs`). */
const CUSTOM_REPS = Number(args["custom-reps"]);
if (!Number.isInteger(CUSTOM_REPS) || CUSTOM_REPS < 1 || CUSTOM_REPS > 100) throw new Error("--custom-reps: 1 to 100");
const CUSTOM_JOBS = Number(args["custom-jobs"]);
if (!Number.isInteger(CUSTOM_JOBS) || CUSTOM_JOBS < 1 || CUSTOM_JOBS > 10_000) throw new Error("--custom-jobs: 1 to 10000");

/** Closed-loop clients per phase of the burst test: one per worker, then twice that. */
const BURST_STEADY_CLIENTS = 3;
const BURST_PHASE_MS = 10_000;

const SESSION = { intraOpNumThreads: 2, graphOptimizationLevel: "all" as const };

interface JobOut {
  id: string;
  state: string;
  receipt?: { inferenceMs: number } | null;
}

/**
 * One job, submit → result, the way the SDK's `jobs.run` sends it: a synchronous submit
 * (`POST /api/v1/jobs?wait=`, one request), or with `twoRequests` the submit and then a
 * long-poll (`GET /api/v1/jobs/:id?wait=`), as a client that polls does.
 */
async function runOne(stack: Stack, model: string, input: unknown, twoRequests = false): Promise<{ ms: number; overhead: number }> {
  const t0 = performance.now();
  const sub = await api<JobOut>(stack, twoRequests ? "/api/v1/jobs" : "/api/v1/jobs?wait=30000", { body: { model, input } });
  if (sub.status !== 201) throw new Error(`submit failed: ${JSON.stringify(sub.body)}`);
  const done =
    twoRequests || sub.body.state !== "succeeded" ? (await api<JobOut>(stack, `/api/v1/jobs/${sub.body.id}?wait=30000`)).body : sub.body;
  const ms = performance.now() - t0;
  if (done.state !== "succeeded") throw new Error(`job ${sub.body.id} ended ${done.state}`);
  return { ms, overhead: ms - (done.receipt?.inferenceMs ?? 0) };
}

async function runSequential(stack: Stack, model: string, input: unknown, n: number, gapMs = 0, twoRequests = false) {
  const e2e: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await runOne(stack, model, input, twoRequests);
    e2e.push(r.ms);
    overhead.push(r.overhead);
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs * (0.5 + Math.random())));
  }
  return { e2e, overhead };
}

/**
 * The OpenAI-compatible `/v1/embeddings` against the native jobs API (submit + wait) on the
 * same text, interleaved (the order swapped every other pair) so both see the same machine.
 */
async function embeddingsVsNative(stack: Stack, n: number): Promise<{ native: number[]; compat: number[] }> {
  const native: number[] = [];
  const compat: number[] = [];
  const viaJobs = async (text: string) => {
    const t0 = performance.now();
    const sub = await api<JobOut>(stack, "/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text } } });
    if (sub.status !== 201) throw new Error(`submit failed: ${JSON.stringify(sub.body)}`);
    const done = await api<JobOut>(stack, `/api/v1/jobs/${sub.body.id}?wait=30000`);
    if (done.body.state !== "succeeded") throw new Error(`job ${sub.body.id} ended ${done.body.state}`);
    native.push(performance.now() - t0);
  };
  const viaOpenAi = async (text: string) => {
    const t0 = performance.now();
    const res = await api<{ data?: unknown[] }>(stack, "/v1/embeddings", { body: { model: "encoder-synthetic-minilm", input: text } });
    if (res.status !== 200 || res.body.data?.length !== 1) throw new Error(`/v1/embeddings failed: ${JSON.stringify(res.body)}`);
    compat.push(performance.now() - t0);
  };
  for (let i = 0; i < n; i++) {
    const text = `the same sentence for both paths, number ${i}`;
    if (i % 2 === 0) {
      await viaJobs(text);
      await viaOpenAi(text);
    } else {
      await viaOpenAi(text);
      await viaJobs(text);
    }
  }
  return { native, compat };
}

async function dispatchLatency(stack: Stack, n: number): Promise<number[]> {
  const prisma = createPrismaClient(stack.database.url, { maxConnections: 1 });
  try {
    await runSequential(stack, "encoder-synthetic-minilm", { text: "dispatch" }, n, 100);
    const rows = await prisma.$queryRaw<{ ms: number }[]>`
      SELECT extract(epoch FROM (a.leased_at - j.created_at)) * 1000 AS ms
      FROM job_attempts a JOIN jobs j ON j.id = a.job_id
      WHERE a.attempt = 1 ORDER BY j.created_at DESC LIMIT ${n}`;
    return rows.map((r) => Number(r.ms));
  } finally {
    await prisma.$disconnect();
  }
}

async function throughputViaApi(stack: Stack, jobs: number, clients: number): Promise<number> {
  const t0 = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < jobs) {
        const i = next++;
        const r = await api<JobOut>(stack, "/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text: `t${i}` } } });
        ids.push(r.body.id);
      }
    }),
  );
  const prisma = createPrismaClient(stack.database.url, { maxConnections: 1 });
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const left = await prisma.job.count({ where: { id: { in: ids }, state: { not: "succeeded" } } });
      if (left === 0) break;
      if (Date.now() > deadline) throw new Error(`API throughput: ${left} jobs unfinished after 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await prisma.$disconnect();
  }
  return jobs / ((performance.now() - t0) / 1000);
}

/**
 * Tiny-job throughput through the API (throughputViaApi, 3 workers) with the web server run
 * as `processes` processes on one port (WEB_PROCESSES, node:cluster), on a stack of its own.
 * Every process answers before the clock starts, and a warm-up of 30 jobs has gone through.
 */
async function throughputWithWebProcesses(
  processes: number,
  stackOpts: Pick<StackOptions, "database">,
  stacks: Stack[],
  jobs: number,
): Promise<number> {
  const stack = await startStack({
    ...stackOpts,
    leaseMs: 15_000,
    env: { JOB_NOTIFY: "1", LOG_LEVEL: "warn", WEB_PROCESSES: String(processes) },
  });
  stacks.push(stack);
  try {
    if (processes > 1) await webProcessesAnswering(stack.url, (seen) => seen.size >= processes);
    for (const name of ["w1", "w2", "w3"]) await stack.addWorker(name, { LOG_LEVEL: "warn" });
    await throughputViaApi(stack, 30, SCALEOUT_CLIENTS);
    return await throughputViaApi(stack, jobs, SCALEOUT_CLIENTS);
  } finally {
    await stack.stop();
    stacks.splice(stacks.indexOf(stack), 1);
  }
}

/**
 * Batched submission (POST /api/v1/jobs/batch) against single submits: how fast the API
 * accepts `jobs` tiny jobs (submit only, the answer is the 201), and how fast they then run
 * to the end on the stack's workers, which still lease one job at a time.
 */
async function throughputViaBatch(stack: Stack, jobs: number, batchSize: number): Promise<{ acceptPerS: number; endToEndPerS: number }> {
  const t0 = performance.now();
  const ids: string[] = [];
  for (let start = 0; start < jobs; start += batchSize) {
    const items = Array.from({ length: Math.min(batchSize, jobs - start) }, (_, i) => ({
      model: "encoder-synthetic-minilm",
      input: { text: `b${start + i}` },
    }));
    const r = await api<{ jobs?: JobOut[] }>(stack, "/api/v1/jobs/batch", { body: { jobs: items } });
    if (r.status !== 201 || !r.body.jobs) throw new Error(`batch submit failed: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    for (const j of r.body.jobs) ids.push(j.id);
  }
  const accepted = performance.now();
  await waitAllSucceeded(stack, ids, "batched throughput");
  return { acceptPerS: jobs / ((accepted - t0) / 1000), endToEndPerS: jobs / ((performance.now() - t0) / 1000) };
}

/** Single submits only (8 clients), the answer being the 201: the baseline of the batch's accept rate. */
async function acceptRateSingles(stack: Stack, jobs: number, clients: number): Promise<number> {
  const t0 = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < jobs) {
        const i = next++;
        const r = await api<JobOut>(stack, "/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text: `s${i}` } } });
        if (r.status !== 201) throw new Error(`submit failed: ${r.status}`);
        ids.push(r.body.id);
      }
    }),
  );
  const rate = jobs / ((performance.now() - t0) / 1000);
  await waitAllSucceeded(stack, ids, "single submits");
  return rate;
}

async function waitAllSucceeded(stack: Stack, ids: string[], what: string): Promise<void> {
  const prisma = createPrismaClient(stack.database.url, { maxConnections: 1 });
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const left = await prisma.job.count({ where: { id: { in: ids }, state: { not: "succeeded" } } });
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`${what}: ${left} jobs unfinished after 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await prisma.$disconnect();
  }
}

interface BurstResult {
  steady: number[];
  burst: number[];
  errors: number;
  firstError?: string;
}

/**
 * Tiny-job latency (submit → result, as runSequential) under a closed loop: `clients` clients
 * for one phase, then as many more join for a second phase (2× the load). A sample belongs
 * to the phase its submit started in; failures are counted, not thrown, and the loop goes on.
 */
async function burstLatency(stack: Stack, clients: number, phaseMs: number): Promise<BurstResult> {
  const out: BurstResult = { steady: [], burst: [], errors: 0 };
  const t0 = performance.now();
  const burstAt = t0 + phaseMs;
  const end = burstAt + phaseMs;
  const loop = async (c: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const start = performance.now();
      try {
        const sub = await api<JobOut>(stack, "/api/v1/jobs", {
          body: { model: "encoder-synthetic-minilm", input: { text: `burst ${c}-${i}` } },
        });
        if (sub.status !== 201) throw new Error(`submit ${sub.status}: ${JSON.stringify(sub.body)}`);
        const done = await api<JobOut>(stack, `/api/v1/jobs/${sub.body.id}?wait=30000`);
        if (done.body.state !== "succeeded") throw new Error(`job ${sub.body.id} ended ${done.body.state}`);
        (start < burstAt ? out.steady : out.burst).push(performance.now() - start);
      } catch (err) {
        out.errors++;
        out.firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  const late = async (c: number) => {
    await new Promise((r) => setTimeout(r, burstAt - performance.now()));
    await loop(c);
  };
  await Promise.all([
    ...Array.from({ length: clients }, (_, c) => loop(c)),
    ...Array.from({ length: clients }, (_, c) => late(clients + c)),
  ]);
  return out;
}

/** The queue alone: insert, claim with the same SQL, mark done — no HTTP, no inference. */
async function throughputDirectSql(url: string, jobs: number, claimers: number): Promise<number> {
  const prisma = createPrismaClient(url, { maxConnections: claimers + 1 });
  try {
    const org = await prisma.organization.create({ data: { slug: `sql-${Date.now()}`, name: "sql" }, select: { id: true } });
    // A model no worker serves, so the running workers do not compete for these rows.
    const model = await prisma.model.create({
      data: {
        id: createHash("sha256").update(`bench-${Date.now()}`).digest("hex"),
        slug: `bench-sql-${Date.now()}`,
        name: "bench",
        kind: "tensor",
        description: "",
        signature: {},
        baseCostMilliCu: 1,
      },
      select: { id: true },
    });
    const nodes = await Promise.all(
      Array.from({ length: claimers }, (_, i) =>
        prisma.node.create({
          data: { orgId: org.id, name: `sql${i}`, publicKey: `sql-${Date.now()}-${i}`, region: "local", models: [model.id] },
          select: { id: true },
        }),
      ),
    );
    const t0 = performance.now();
    let submitted = 0;
    const submit = async () => {
      while (submitted < jobs) {
        // Inserted already assigned (round-robin): the floor under submit + dispatch.
        const nodeId = (nodes[submitted % nodes.length] as { id: string }).id;
        submitted++;
        await prisma.job.create({
          data: {
            orgId: org.id,
            modelId: model.id,
            costMilliCu: 1,
            price: 1n,
            inputHash: "x",
            inputBytes: 1,
            state: "assigned",
            nodeId,
            assignedAt: new Date(),
            payload: { create: { input: { text: "t" } } },
          },
        });
      }
    };
    let done = 0;
    const deadline = Date.now() + 120_000;
    const claim = async (nodeId: string) => {
      while (done < jobs) {
        if (Date.now() > deadline) throw new Error(`direct SQL claims: only ${done}/${jobs} done in 120 s`);
        const j = await claimJob(prisma, { nodeId, modelIds: [model.id], leaseMs: 60_000 });
        if (!j) {
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        await prisma.$executeRaw`UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = ${j.id}::uuid`;
        done++;
      }
    };
    await Promise.all([submit(), submit(), ...nodes.map((n) => claim(n.id))]);
    return jobs / ((performance.now() - t0) / 1000);
  } finally {
    await prisma.$disconnect();
  }
}

async function eventLoopDelay(): Promise<{ threadP99: number; mainP99: number; inferenceMs: number }> {
  const inputs = await benchmarkInputs();
  const input = inputs["ocr-ppocr-v4"];
  const measure = async (run: () => Promise<unknown>, n: number) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let i = 0; i < n; i++) await run();
    h.disable();
    return h.percentile(99) / 1e6;
  };
  const pool = new InferencePool(1, { ...SESSION, executionProvider: "cpu" });
  await pool.run("ocr-ppocr-v4", input);
  const threadP99 = await measure(() => pool.run("ocr-ppocr-v4", input), 20);
  await pool.close();
  const pipeline = await createPipeline("ocr-ppocr-v4", SESSION);
  await pipeline.run(input as never);
  const t0 = performance.now();
  const mainP99 = await measure(() => pipeline.run(input as never), 20);
  const inferenceMs = (performance.now() - t0) / 20;
  await pipeline.dispose();
  return { threadP99, mainP99, inferenceMs };
}
/** Clients and worker slots of the group-commit part: enough completions at once to group. */
const GROUP_COMMIT_CLIENTS = 16;
const GROUP_COMMIT_ROUNDS = 2;
/** The completion-capacity measurement: completions per run, and the callers sending them. */
const CAPACITY_JOBS = 400;
const CAPACITY_CLIENTS = 32;

/**
 * Tiny-job throughput through the API (throughputViaApi) with completions settled one
 * transaction each (COMPLETION_GROUP_COMMIT=0) or in group commits (=1), on a stack of its
 * own: 3 workers running 4 jobs at a time each. Returns the rate and the sizes of the groups
 * of more than one completion that the web process logged while it was measured.
 */
async function throughputWithGroupCommit(
  on: boolean,
  stackOpts: Pick<StackOptions, "database">,
  stacks: Stack[],
  jobs: number,
): Promise<{ perS: number; groups: number[] }> {
  const stack = await startStack({
    ...stackOpts,
    leaseMs: 15_000,
    env: { JOB_NOTIFY: "1", LOG_LEVEL: "info", COMPLETION_GROUP_COMMIT: on ? "1" : "0" },
  });
  stacks.push(stack);
  try {
    for (const name of ["w1", "w2", "w3"]) await stack.addWorker(name, { LOG_LEVEL: "warn", CONCURRENCY: "4" });
    await throughputViaApi(stack, 30, GROUP_COMMIT_CLIENTS);
    const from = stack.webLogs.length;
    const perS = await throughputViaApi(stack, jobs, GROUP_COMMIT_CLIENTS);
    const groups = stack.webLogs.slice(from).flatMap((l) => {
      const m = /"size":(\d+).*completions settled in one group commit/.exec(l);
      return m ? [Number(m[1])] : [];
    });
    return { perS, groups };
  } finally {
    await stack.stop();
    stacks.splice(stacks.indexOf(stack), 1);
  }
}

async function main() {
  const parts = selectedParts();
  const stackParts: Part[] = ["dispatch", "ocr", "vad", "embeddings", "throughput", "batch", "burst"];
  const needStack = stackParts.some((p) => parts.has(p));
  if (needStack || parts.has("scaleout") || parts.has("custom-models") || parts.has("group-commit") || parts.has("ort-spin"))
    ensureWebBuild(progress);
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-bench-"));
  progress("starting embedded Postgres");
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), settings: { fsync: "off", synchronous_commit: "off" } });
  const stacks: Stack[] = [];
  try {
    const newDb = async (name: string) => {
      const url = await createDatabase(pg.url, name);
      await migrate({ url });
      return { url, drop: () => dropDatabase(pg.url, name) };
    };

    let wake: number[] | undefined;
    let ocr: { e2e: number[] } | undefined;
    let inproc: number[] | undefined;
    let bare: { medianMs: number } | undefined;
    let vad: { e2e: number[]; overhead: number[]; twoRequests: number[] } | undefined;
    let embeddings: { native: number[]; compat: number[] } | undefined;
    let apiTput: number | undefined;
    let batchSingles: number | undefined;
    let batched: { acceptPerS: number; endToEndPerS: number } | undefined;
    let sqlTput: number | undefined;
    let burst: BurstResult | undefined;
    if (needStack) {
      progress("stack with LISTEN/NOTIFY wake-ups");
      const notify = await startStack({
        database: await newDb("bench_notify"),
        leaseMs: 15_000,
        env: { JOB_NOTIFY: "1", LOG_LEVEL: "warn" },
      });
      stacks.push(notify);
      await notify.addWorker("w1", { LOG_LEVEL: "warn" });
      await runSequential(notify, "encoder-synthetic-minilm", { text: "warm-up" }, 5);
      const inputs = await benchmarkInputs();
      if (parts.has("ocr")) await runSequential(notify, "ocr-ppocr-v4", inputs["ocr-ppocr-v4"], 2);

      if (parts.has("dispatch")) {
        progress("dispatch latency (wake-up)");
        wake = await dispatchLatency(notify, 40);
      }

      if (parts.has("ocr")) {
        progress("end-to-end OCR vs in-process pipeline vs bare session.run");
        ocr = await runSequential(notify, "ocr-ppocr-v4", inputs["ocr-ppocr-v4"], 20);
        const pipeline = await createPipeline("ocr-ppocr-v4", SESSION);
        await pipeline.run(inputs["ocr-ppocr-v4"] as never);
        inproc = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          await pipeline.run(inputs["ocr-ppocr-v4"] as never);
          inproc.push(performance.now() - t0);
        }
        await pipeline.dispose();
        const { benchBareSessionRun } = await import("@proofgrid/models/bench-models");
        bare = await benchBareSessionRun("ocr-ppocr-v4", inputs["ocr-ppocr-v4"], { ...SESSION, iterations: 20 });
      }

      if (parts.has("vad")) {
        progress("smallest model: added milliseconds");
        const vadInput = { audio: syntheticWav(0.5).toString("base64") };
        await runSequential(notify, "vad-silero-v5", vadInput, 3);
        // The synchronous submit and the two-request path, interleaved (the machine's drift
        // touches both alike).
        vad = { e2e: [], overhead: [], twoRequests: [] };
        for (let i = 0; i < 30; i++) {
          const one = await runOne(notify, "vad-silero-v5", vadInput);
          vad.e2e.push(one.ms);
          vad.overhead.push(one.overhead);
          vad.twoRequests.push((await runOne(notify, "vad-silero-v5", vadInput, true)).overhead);
        }
      }

      if (parts.has("embeddings")) {
        progress("/v1/embeddings vs the native jobs API");
        await embeddingsVsNative(notify, 4);
        embeddings = await embeddingsVsNative(notify, 30);
      }

      if (parts.has("throughput") || parts.has("burst") || parts.has("batch")) {
        await notify.addWorker("w2", { LOG_LEVEL: "warn" });
        await notify.addWorker("w3", { LOG_LEVEL: "warn" });
        await runSequential(notify, "encoder-synthetic-minilm", { text: "warm-up" }, 3);
      }
      if (parts.has("throughput")) {
        progress("tiny-job throughput: 3 workers through the API vs direct SQL claims");
        apiTput = await throughputViaApi(notify, 300, 8);
        sqlTput = await throughputDirectSql(notify.database.url, 300, 3);
      }
      if (parts.has("batch")) {
        progress("batched submission: 300 jobs in batches of 100 vs single submits");
        batchSingles = await acceptRateSingles(notify, 300, 8);
        batched = await throughputViaBatch(notify, 300, 100);
      }
      if (parts.has("burst")) {
        progress(
          `tiny-job latency, 3 workers: ${BURST_STEADY_CLIENTS} closed-loop clients then ${2 * BURST_STEADY_CLIENTS}, ${BURST_PHASE_MS / 1000} s each`,
        );
        burst = await burstLatency(notify, BURST_STEADY_CLIENTS, BURST_PHASE_MS);
      }
      await notify.stop();
      stacks.pop();
    }

    let poll: number[] | undefined;
    if (parts.has("dispatch")) {
      progress("stack with 1 s polling only");
      const polling = await startStack({
        database: await newDb("bench_poll"),
        leaseMs: 15_000,
        env: { JOB_NOTIFY: "0", JOB_POLL_FALLBACK_MS: "1000", LOG_LEVEL: "warn" },
      });
      stacks.push(polling);
      await polling.addWorker("w1", { LOG_LEVEL: "warn" });
      await runSequential(polling, "encoder-synthetic-minilm", { text: "warm-up" }, 2);
      poll = await dispatchLatency(polling, 25);
      await polling.stop();
      stacks.pop();
    }

    let scaleout: { one: number; two: number } | undefined;
    if (parts.has("scaleout")) {
      progress(`scale out: ${SCALEOUT_JOBS} tiny jobs through the API, 3 workers, 1 web process then 2`);
      const one = await throughputWithWebProcesses(1, { database: await newDb("bench_web1") }, stacks, SCALEOUT_JOBS);
      const two = await throughputWithWebProcesses(2, { database: await newDb("bench_web2") }, stacks, SCALEOUT_JOBS);
      scaleout = { one, two };
    }

    let groupCommit: { off: number[]; on: number[]; groups: number[]; capacityOn: number[]; capacityOff: number[] } | undefined;
    if (parts.has("group-commit")) {
      // A Postgres of its own with the default durability `npm start` runs with (fsync and
      // synchronous_commit on, data on disk): a COMMIT waits for its WAL flush, the cost a
      // group commit shares. The other parts' server has both off.
      progress("group commit: a durable Postgres, tiny jobs through the API with completions settled alone, then grouped");
      const durable = await startEmbeddedPostgres({ dataDir: join(dir, "pg-durable") });
      try {
        groupCommit = { off: [], on: [], groups: [], capacityOn: [], capacityOff: [] };
        for (let round = 0; round < GROUP_COMMIT_ROUNDS; round++)
          for (const on of [false, true]) {
            const name = `bench_group_${on ? "on" : "off"}_${round}`;
            const url = await createDatabase(durable.url, name);
            await migrate({ url });
            const r = await throughputWithGroupCommit(
              on,
              { database: { url, drop: () => dropDatabase(durable.url, name) } },
              stacks,
              SCALEOUT_JOBS,
            );
            (on ? groupCommit.on : groupCommit.off).push(r.perS);
            if (on) groupCommit.groups.push(...r.groups);
          }
        // The completion path alone, in this process, on the same server.
        progress(
          `group commit: the completion service's capacity, ${CAPACITY_JOBS} completions from ${CAPACITY_CLIENTS} callers, alone then grouped`,
        );
        for (let round = 0; round < GROUP_COMMIT_ROUNDS; round++)
          for (const grouped of [false, true]) {
            const name = `bench_capacity_${grouped ? "on" : "off"}_${round}`;
            const url = await createDatabase(durable.url, name);
            await migrate({ url });
            try {
              const r = await completionCapacity({
                url,
                dataDir: mkdtempSync(join(dir, "capacity-")),
                grouped,
                jobs: CAPACITY_JOBS,
                clients: CAPACITY_CLIENTS,
              });
              (grouped ? groupCommit.capacityOn : groupCommit.capacityOff).push(r.perS);
            } finally {
              await disconnectPrisma();
              await closePgPool();
            }
          }
      } finally {
        await durable.stop();
      }
    }

    if (parts.has("custom-models")) {
      // Reports its own lines: the part starts and stops its stack and workers.
      await customModelsPart({ database: await newDb("bench_custom"), stacks, reps: CUSTOM_REPS, jobs: CUSTOM_JOBS });
    }

    let pgboss: Awaited<ReturnType<typeof measurePgBossDrain>> | undefined;
    if (parts.has("pgboss")) {
      progress("pg-boss 10 drain on the same Postgres (the external anchor)");
      pgboss = await measurePgBossDrain({
        serverUrl: pg.url,
        shapes: [
          { workers: 3, batchSize: 100, jobs: 5_000 },
          { workers: 1, batchSize: 100, jobs: 5_000 },
          { workers: 3, batchSize: 1, jobs: 1_000 },
        ],
        log: progress,
      });
    }

    let eld: Awaited<ReturnType<typeof eventLoopDelay>> | undefined;
    if (parts.has("eld")) {
      progress("worker event-loop delay during inference");
      eld = await eventLoopDelay();
    }

    if (parts.has("ort-spin")) {
      // Why the worker's onnxruntime threads do not spin by default (packages/models
      // runtime/session.ts): the same tiny jobs with the worker's intra-op threads spinning
      // (onnxruntime's default) and not, the whole machine's CPU per job by process.
      // The issue's tiny job: 0.5 s of audio (benchmarkInputs' VAD input is 4 s).
      const input = { audio: syntheticWav(0.5).toString("base64") };
      const results: Record<string, Awaited<ReturnType<typeof cpuPerJob>> & { addedMs: number }> = {};
      for (const spinning of ["1", "0"]) {
        progress(`CPU per tiny job, the worker's intra-op threads ${spinning === "1" ? "spinning" : "sleeping"}`);
        const stack = await startStack({ database: await newDb(`bench_spin_${spinning}`), leaseMs: 15_000, env: { LOG_LEVEL: "warn" } });
        stacks.push(stack);
        try {
          await stack.addWorker("w1", { LOG_LEVEL: "warn", INTRA_OP_SPINNING: spinning });
          await runSequential(stack, "vad-silero-v5", input, 8);
          let added: number[] = [];
          const r = await cpuPerJob(60, async () => {
            added = (await runSequential(stack, "vad-silero-v5", input, 60)).overhead;
          });
          results[spinning] = { ...r, addedMs: Math.round(median(added) * 10) / 10 };
        } finally {
          await stack.stop();
          stacks.splice(stacks.indexOf(stack), 1);
        }
      }
      const on = results["1"];
      const off = results["0"];
      if (on && off) {
        report({
          name: "tiny_job_cpu_ms_per_job",
          value: off.msPerJob.total ?? 0,
          unit: "ms",
          baseline: on.msPerJob.total ?? 0,
          note: "the machine's CPU per VAD 0.5 s job (60 in a row), worker threads sleeping vs spinning (onnxruntime's default)",
          detail: { sleeping: off, spinning: on },
        });
        report({
          name: "tiny_job_added_ms_spin_p50",
          value: off.addedMs,
          unit: "ms",
          baseline: on.addedMs,
          note: "VAD 0.5 s added ms (end to end minus inference), worker threads sleeping vs spinning",
        });
      }
    }

    if (parts.has("ed25519")) {
      // Every node request, receipt and countersignature signs: the private key's import is
      // cached (packages/por crypto/ed25519.ts); the baseline imports it on each signature.
      progress("ed25519 signatures: cached key vs import per signature");
      const key = generateNodeKeyPair().privateKey;
      const message = "x".repeat(400);
      const perSign = (f: typeof sign) => {
        const t0 = performance.now();
        for (let i = 0; i < 2000; i++) f(key, message);
        return ((performance.now() - t0) / 2000) * 1000;
      };
      const cached: number[] = [];
      const uncached: number[] = [];
      for (let r = 0; r < 5; r++) {
        uncached.push(perSign(signUncached));
        cached.push(perSign(sign));
      }
      report({
        name: "ed25519_sign_us",
        value: Math.round(median(cached) * 10) / 10,
        unit: "µs",
        baseline: Math.round(median(uncached) * 10) / 10,
        note: "one signature of 400 bytes, the key's import cached vs done per signature (median of 5 runs of 2000)",
      });
    }

    if (wake && poll) {
      report({
        name: "dispatch_latency_p50",
        value: median(wake),
        unit: "ms",
        baseline: median(poll),
        goal: "<= 5 ms",
        met: median(wake) <= 5,
        note: "enqueue→lease, LISTEN/NOTIFY wake-up vs 1 s polling",
      });
      report({
        name: "dispatch_latency_p99",
        value: quantile(wake, 0.99),
        unit: "ms",
        baseline: quantile(poll, 0.99),
        note: "enqueue→lease, LISTEN/NOTIFY wake-up vs 1 s polling",
      });
    }
    if (ocr && inproc && bare) {
      report({
        name: "ocr_end_to_end_p50",
        value: median(ocr.e2e),
        unit: "ms",
        baseline: bare.medianMs,
        goal: "ratio <= 1.15",
        met: median(ocr.e2e) / bare.medianMs <= 1.15,
        note: "submit→result over HTTP vs bare session.run (det+rec) on the same input",
      });
      report({
        name: "ocr_in_process_pipeline_p50",
        value: median(inproc),
        unit: "ms",
        baseline: bare.medianMs,
        note: "pipeline.run (pre/post-processing included) vs bare session.run",
      });
    }
    if (vad) {
      const inference = vad.e2e.map((ms, i) => ms - (vad?.overhead[i] ?? 0));
      report({
        name: "smallest_model_added_ms_p50",
        value: median(vad.overhead),
        unit: "ms",
        baseline: median(inference),
        goal: "<= 10 ms",
        met: median(vad.overhead) <= 10,
        note: "VAD 0.5 s, one request (POST /api/v1/jobs?wait=, as the SDK's jobs.run): end-to-end minus the worker's inference time; baseline: that inference time",
      });
      report({
        name: "smallest_model_added_ms_two_requests_p50",
        value: median(vad.twoRequests),
        unit: "ms",
        baseline: median(vad.overhead),
        note: "the same job as a submit and then GET ?wait= (two requests), interleaved with the one-request runs; baseline: one request",
      });
    }
    if (embeddings) {
      report({
        name: "openai_embeddings_p50",
        value: median(embeddings.compat),
        unit: "ms",
        baseline: median(embeddings.native),
        goal: "ratio <= 1.05",
        met: median(embeddings.compat) / median(embeddings.native) <= 1.05,
        note: "POST /v1/embeddings (one text) vs POST /api/v1/jobs + GET ?wait on the same text, interleaved",
      });
    }
    if (eld) {
      report({
        name: "worker_event_loop_delay_p99",
        value: eld.threadP99,
        unit: "ms",
        baseline: eld.mainP99,
        goal: "<= 10",
        met: eld.threadP99 <= 10,
        note: "inference in worker_threads vs on the main thread",
      });
    }
    if (apiTput !== undefined && sqlTput !== undefined) {
      report({
        name: "tiny_job_throughput",
        value: apiTput,
        unit: "jobs/s",
        baseline: sqlTput,
        goal: "ratio >= 0.5, and >= 1000 jobs/s with batching",
        met: apiTput / sqlTput >= 0.5 && apiTput >= 1000,
        note: "3 workers through the API vs direct SQL claims (no HTTP, no inference); the API has no batching",
      });
    }
    if (batched && batchSingles !== undefined) {
      report({
        name: "batch_submit_accept_rate",
        value: batched.acceptPerS,
        unit: "jobs/s",
        baseline: batchSingles,
        goal: ">= 1000 jobs/s with batching",
        met: batched.acceptPerS >= 1000,
        note: "jobs accepted (201) per second: POST /api/v1/jobs/batch, 100 per request, vs single POST /api/v1/jobs from 8 clients",
      });
      report({
        name: "batch_end_to_end_throughput",
        value: batched.endToEndPerS,
        unit: "jobs/s",
        baseline: apiTput,
        note: "the same 300 batched jobs run to the end on 3 workers (leases are still one job each) vs single submits (tiny_job_throughput)",
      });
    }
    if (burst) {
      const p50 = median(burst.steady);
      const p99 = quantile(burst.burst, 0.99);
      report({
        name: "tiny_job_burst_p99",
        value: p99,
        unit: "ms",
        baseline: p50,
        goal: "ratio <= 3, errors 0",
        met: p99 / p50 <= 3 && burst.errors === 0,
        note: `submit→result, 3 workers, closed loop: p99 with ${2 * BURST_STEADY_CLIENTS} clients (2× load) vs p50 with ${BURST_STEADY_CLIENTS}, ${BURST_PHASE_MS / 1000} s each`,
        detail: {
          errors: burst.errors,
          firstError: burst.firstError,
          steady: { jobs: burst.steady.length, p50: Math.round(p50), p99: Math.round(quantile(burst.steady, 0.99)) },
          burst: { jobs: burst.burst.length, p50: Math.round(median(burst.burst)), p99: Math.round(p99) },
        },
      });
    }
    if (groupCommit) {
      const grouped = groupCommit.groups;
      report({
        name: "group_commit_throughput",
        value: median(groupCommit.on),
        unit: "jobs/s",
        baseline: median(groupCommit.off),
        goal: null,
        note: `tiny jobs through the API, 3 workers x 4 slots, ${GROUP_COMMIT_CLIENTS} clients, durable Postgres (fsync on): completions in group commits vs one transaction each, ${GROUP_COMMIT_ROUNDS} rounds each way, taking turns`,
        detail: {
          jobs: SCALEOUT_JOBS,
          on: groupCommit.on.map((v) => Math.round(v * 10) / 10),
          off: groupCommit.off.map((v) => Math.round(v * 10) / 10),
          groupsOfMoreThanOne: grouped.length,
          completionsInThem: grouped.reduce((a, b) => a + b, 0),
          largestGroup: grouped.length ? Math.max(...grouped) : 1,
        },
      });
    }
    if (groupCommit) {
      report({
        name: "completion_capacity",
        value: median(groupCommit.capacityOn),
        unit: "completions/s",
        baseline: median(groupCommit.capacityOff),
        goal: null,
        note: `the completion service in process (checks, fencing, stored result, sampling, settlement; no HTTP), ${CAPACITY_CLIENTS} concurrent callers, ${CAPACITY_JOBS} jobs on 8 workers, durable Postgres: group commits vs one transaction each, ${GROUP_COMMIT_ROUNDS} rounds each way`,
        detail: {
          on: groupCommit.capacityOn.map((v) => Math.round(v)),
          off: groupCommit.capacityOff.map((v) => Math.round(v)),
        },
      });
    }
    if (scaleout) {
      const detail = { jobs: SCALEOUT_JOBS, clients: SCALEOUT_CLIENTS, workers: 3, cpus: availableParallelism() };
      report({
        name: "scaleout_throughput_1_web",
        value: scaleout.one,
        unit: "jobs/s",
        goal: null,
        note: "tiny jobs through the API (submit, then counted finished in the database), 3 workers, WEB_PROCESSES=1",
        detail,
      });
      report({
        name: "scaleout_throughput_2_web",
        value: scaleout.two,
        unit: "jobs/s",
        baseline: scaleout.one,
        goal: null,
        note: "the same with WEB_PROCESSES=2 (two web processes on one port, one Postgres) vs 1, same run and machine",
        detail,
      });
    }
    if (pgboss) {
      const [batched, oneWorker, unbatched] = pgboss;
      if (!batched || !oneWorker || !unbatched) throw new Error("pg-boss: a drain is missing");
      report({
        name: "pgboss_drain_jobs_per_s",
        value: batched.jobsPerS,
        unit: "jobs/s",
        note: `pg-boss 10 on the same Postgres, own database: ${batched.jobs} jobs drained by ${batched.workers} fetch + complete loops in batches of ${batched.batchSize}`,
        detail: {
          oneWorkerJobsPerS: Math.round(oneWorker.jobsPerS),
          unbatchedJobsPerS: Math.round(unbatched.jobsPerS),
          unbatched: `${unbatched.jobs} jobs, ${unbatched.workers} workers, one job per fetch and per complete`,
        },
      });
      if (apiTput !== undefined) {
        report({
          name: "tiny_job_throughput_vs_pgboss",
          value: apiTput,
          unit: "jobs/s",
          baseline: batched.jobsPerS,
          note: "3 workers through the API vs pg-boss's batched drain in the same run (the external anchor)",
          detail: { vsUnbatchedPgBoss: Math.round((apiTput / unbatched.jobsPerS) * 1000) / 1000 },
        });
      }
    }
  } finally {
    for (const s of stacks) await s.stop().catch(() => undefined);
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
