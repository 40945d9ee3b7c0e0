/**
 * `npm run bench`: the marketplace core measured in one run, on real processes —
 * embedded Postgres, the production web build, the coordinator, worker daemons — with
 * each figure next to a baseline measured in the same run. JSON lines on stdout.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createDatabase, dropDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import { createPrismaClient } from "@proofgrid/db/client";
import { claimJob } from "@proofgrid/db/jobs";
import { createPipeline } from "@proofgrid/models";
import { benchmarkInputs, syntheticWav } from "../apps/worker/src/bench/bench-inputs.ts";
import { InferencePool } from "../apps/worker/src/inference/inference-pool.ts";
import { ensureWebBuild } from "../scripts/lib/processes.ts";
import { api, type Stack, startStack } from "../tests/support/stack.ts";
import { median, progress, quantile, report } from "./report.ts";

const SESSION = { intraOpNumThreads: 2, graphOptimizationLevel: "all" as const };

interface JobOut {
  id: string;
  state: string;
  receipt?: { inferenceMs: number } | null;
}

async function runSequential(stack: Stack, model: string, input: unknown, n: number, gapMs = 0) {
  const e2e: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const sub = await api<JobOut>(stack, "/api/v1/jobs", { body: { model, input } });
    if (sub.status !== 201) throw new Error(`submit failed: ${JSON.stringify(sub.body)}`);
    const done = await api<JobOut>(stack, `/api/v1/jobs/${sub.body.id}?wait=30000`);
    const ms = performance.now() - t0;
    if (done.body.state !== "succeeded") throw new Error(`job ${sub.body.id} ended ${done.body.state}`);
    e2e.push(ms);
    overhead.push(ms - (done.body.receipt?.inferenceMs ?? 0));
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

async function main() {
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
    await runSequential(notify, "ocr-ppocr-v4", inputs["ocr-ppocr-v4"], 2);

    progress("dispatch latency (wake-up)");
    const wake = await dispatchLatency(notify, 40);

    progress("end-to-end OCR vs in-process pipeline vs bare session.run");
    const ocr = await runSequential(notify, "ocr-ppocr-v4", inputs["ocr-ppocr-v4"], 20);
    const pipeline = await createPipeline("ocr-ppocr-v4", SESSION);
    await pipeline.run(inputs["ocr-ppocr-v4"] as never);
    const inproc: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await pipeline.run(inputs["ocr-ppocr-v4"] as never);
      inproc.push(performance.now() - t0);
    }
    await pipeline.dispose();
    const { benchBareSessionRun } = await import("@proofgrid/models/bench-models");
    const bare = await benchBareSessionRun("ocr-ppocr-v4", inputs["ocr-ppocr-v4"], { ...SESSION, iterations: 20 });

    progress("smallest model: added milliseconds");
    const vadInput = { audio: syntheticWav(0.5).toString("base64") };
    await runSequential(notify, "vad-silero-v5", vadInput, 3);
    const vad = await runSequential(notify, "vad-silero-v5", vadInput, 30);

    progress("/v1/embeddings vs the native jobs API");
    await embeddingsVsNative(notify, 4);
    const embeddings = await embeddingsVsNative(notify, 30);

    progress("tiny-job throughput: 3 workers through the API vs direct SQL claims");
    await notify.addWorker("w2", { LOG_LEVEL: "warn" });
    await notify.addWorker("w3", { LOG_LEVEL: "warn" });
    await runSequential(notify, "encoder-synthetic-minilm", { text: "warm-up" }, 3);
    const apiTput = await throughputViaApi(notify, 300, 8);
    const sqlTput = await throughputDirectSql(notify.database.url, 300, 3);
    await notify.stop();
    stacks.pop();

    progress("stack with 1 s polling only");
    const polling = await startStack({
      database: await newDb("bench_poll"),
      leaseMs: 15_000,
      env: { JOB_NOTIFY: "0", JOB_POLL_FALLBACK_MS: "1000", LOG_LEVEL: "warn" },
    });
    stacks.push(polling);
    await polling.addWorker("w1", { LOG_LEVEL: "warn" });
    await runSequential(polling, "encoder-synthetic-minilm", { text: "warm-up" }, 2);
    const poll = await dispatchLatency(polling, 25);
    await polling.stop();
    stacks.pop();

    progress("worker event-loop delay during inference");
    const eld = await eventLoopDelay();

    report({
      name: "dispatch_latency_p50",
      value: median(wake),
      unit: "ms",
      baseline: median(poll),
      note: "enqueue→lease, LISTEN/NOTIFY wake-up vs 1 s polling",
    });
    report({
      name: "dispatch_latency_p99",
      value: quantile(wake, 0.99),
      unit: "ms",
      baseline: quantile(poll, 0.99),
      note: "enqueue→lease, LISTEN/NOTIFY wake-up vs 1 s polling",
    });
    report({
      name: "ocr_end_to_end_p50",
      value: median(ocr.e2e),
      unit: "ms",
      baseline: bare.medianMs,
      goal: "ratio <= 1.2",
      note: "submit→result over HTTP vs bare session.run (det+rec) on the same input",
    });
    report({
      name: "ocr_in_process_pipeline_p50",
      value: median(inproc),
      unit: "ms",
      baseline: bare.medianMs,
      note: "pipeline.run (pre/post-processing included) vs bare session.run",
    });
    report({
      name: "smallest_model_added_ms_p50",
      value: median(vad.overhead),
      unit: "ms",
      goal: "<= 5",
      note: "VAD 0.5 s: end-to-end minus the worker's inference time",
    });
    report({
      name: "openai_embeddings_p50",
      value: median(embeddings.compat),
      unit: "ms",
      baseline: median(embeddings.native),
      goal: "ratio <= 1.05",
      note: "POST /v1/embeddings (one text) vs POST /api/v1/jobs + GET ?wait on the same text, interleaved",
    });
    report({
      name: "worker_event_loop_delay_p99",
      value: eld.threadP99,
      unit: "ms",
      baseline: eld.mainP99,
      goal: "<= 10",
      note: "inference in worker_threads vs on the main thread",
    });
    report({
      name: "tiny_job_throughput",
      value: apiTput,
      unit: "jobs/s",
      baseline: sqlTput,
      note: "3 workers through the API vs direct SQL claims (no HTTP, no inference)",
    });
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
