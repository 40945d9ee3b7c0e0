import { createPrismaClient } from "@proofgrid/db/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { renderTextPng } from "../support/inputs.ts";
import { ledgerSnapshot } from "../support/ledger.ts";
import { api, type Stack, startStack, type WorkerHandle } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// Crash tests on real processes: a 3 s lease, the sweeper every 250 ms.
let stack: Stack;
let prisma: ReturnType<typeof createPrismaClient>;
let slowInput: { image: string };
const started: WorkerHandle[] = [];

beforeAll(async () => {
  stack = await startStack({ leaseMs: 3_000 });
  prisma = createPrismaClient(stack.database.url, { maxConnections: 2 });
  // Many lines of text: long enough (about a second of inference here) to be caught mid-run.
  const lines = Array.from({ length: 48 }, (_, i) => `line ${i} of a long document for proofgrid`);
  slowInput = { image: (await renderTextPng(lines, { fontSize: 28, width: 900 })).toString("base64") };
});
afterEach(async () => {
  for (const w of started.splice(0)) await w.proc.stop(5_000);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await stack?.stop();
});

async function submitSlow(): Promise<string> {
  const res = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: "ocr-ppocr-v4", input: slowInput } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function worker(name: string, env: Record<string, string> = {}) {
  const w = await stack.addWorker(name, env);
  started.push(w);
  return w;
}

const runningOn = (jobId: string, nodeId: string, attempt: number) =>
  waitFor(
    `job ${jobId} running attempt ${attempt} on ${nodeId}`,
    async () => {
      const j = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true, nodeId: true, attempt: true } });
      return j?.state === "running" && j.nodeId === nodeId && j.attempt === attempt;
    },
    { intervalMs: 5 },
  );

/** The worker itself says it holds the job (the platform's state can run ahead of the reply). */
const workerHas = (w: WorkerHandle, jobId: string) =>
  waitFor(`worker ${w.name} to start job ${jobId}`, async () => w.logs.some((l) => l.includes(jobId) && l.includes("job leased")), {
    intervalMs: 5,
  });

const finished = (jobId: string) =>
  waitFor(
    `job ${jobId} to finish`,
    async () => {
      const j = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true, attempt: true, nodeId: true } });
      return j && ["succeeded", "failed"].includes(j.state) ? j : null;
    },
    { timeoutMs: 90_000 },
  );

async function settlementsFor(jobId: string) {
  return prisma.ledgerTransfer.findMany({ where: { jobId }, select: { kind: true, entries: { select: { amount: true } } } });
}

describe("a crash or a stall loses no job and never pays twice", () => {
  it("kill -9 mid-job: the job is leased again after its lease expires and succeeds exactly once", async () => {
    const w1 = await worker("crashy");
    const jobId = await submitSlow();
    await runningOn(jobId, w1.nodeId, 1);
    await workerHas(w1, jobId); // inference is under way in the worker when it dies
    w1.proc.child.kill("SIGKILL");
    await w1.proc.exited;

    const w2 = await worker("rescuer");
    const job = await finished(jobId);
    expect(job.state).toBe("succeeded");
    expect(job.attempt).toBe(2);
    expect(job.nodeId).toBe(w2.nodeId);
    const attempts = await prisma.jobAttempt.findMany({
      where: { jobId },
      orderBy: { attempt: "asc" },
      select: { attempt: true, nodeId: true, outcome: true },
    });
    expect(attempts).toEqual([
      { attempt: 1, nodeId: w1.nodeId, outcome: "expired" },
      { attempt: 2, nodeId: w2.nodeId, outcome: "succeeded" },
    ]);
    const transfers = await settlementsFor(jobId);
    expect(transfers.map((t) => t.kind).sort()).toEqual(["hold", "settle"]); // charged once, paid once
    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(snap.check.ok).toBe(true);
  });

  it("a worker stopped with SIGSTOP past its lease cannot complete, or be paid for, a job another attempt finished", async () => {
    const w1 = await worker("staller");
    const jobId = await submitSlow();
    await runningOn(jobId, w1.nodeId, 1);
    await workerHas(w1, jobId);
    w1.proc.child.kill("SIGSTOP");
    const w2 = await worker("finisher");
    const job = await finished(jobId);
    expect(job).toMatchObject({ state: "succeeded", attempt: 2, nodeId: w2.nodeId });
    const earningsBefore = (
      await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId })
    ).providerEarnings;

    w1.proc.child.kill("SIGCONT");
    // Resumed, the stale worker either hears from a heartbeat that its lease is gone or
    // posts its result and is refused (409): both end with the platform's answer logged.
    await waitFor("the stale worker to be refused", async () => w1.logs.some((l) => /lease lost/.test(l)), { timeoutMs: 30_000 });
    const after = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true, attempt: true, nodeId: true } });
    expect(after).toMatchObject({ state: "succeeded", attempt: 2, nodeId: w2.nodeId });
    const transfers = await settlementsFor(jobId);
    expect(transfers.filter((t) => t.kind === "settle")).toHaveLength(1);
    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(snap.providerEarnings).toBe(earningsBefore);
    expect(snap.check.ok).toBe(true);
  });

  it("graceful shutdown finishes the running job before exiting", async () => {
    const w1 = await worker("graceful");
    const jobId = await submitSlow();
    await workerHas(w1, jobId);
    w1.proc.child.kill("SIGTERM");
    expect(await w1.proc.exited).toBe(0);
    const job = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true, attempt: true } });
    expect(job, w1.logs.join("\n")).toMatchObject({ state: "succeeded", attempt: 1 });
  });

  it("past the grace period a stopping worker hands its job back at once, and another finishes it", async () => {
    const w1 = await worker("impatient", { SHUTDOWN_GRACE_MS: "0" });
    const jobId = await submitSlow();
    await workerHas(w1, jobId);
    w1.proc.child.kill("SIGTERM");
    expect(await w1.proc.exited).toBe(0);
    const released = await prisma.jobAttempt.findUnique({ where: { jobId_attempt: { jobId, attempt: 1 } }, select: { outcome: true } });
    expect(released?.outcome, w1.logs.join("\n")).toBe("released");
    const w2 = await worker("successor");
    const job = await finished(jobId);
    expect(job).toMatchObject({ state: "succeeded", attempt: 2, nodeId: w2.nodeId });
    expect((await settlementsFor(jobId)).filter((t) => t.kind === "settle")).toHaveLength(1);
  });
});

describe("an unreachable platform", () => {
  it("a worker backs off while the web app is down and runs the job once it is back", async () => {
    const w1 = await worker("patient", { RETRY_MAX_DELAY_MS: "1000" });
    await waitFor(
      "the worker to lease",
      async () => (await prisma.node.findUnique({ where: { id: w1.nodeId }, select: { lastSeenAt: true } }))?.lastSeenAt,
    );
    const outage = stack.restartWeb(4_000);
    // While the web app is down the worker retries with backoff instead of exiting.
    await waitFor("the worker to report the outage", async () => w1.logs.some((l) => l.includes("platform unreachable")), {
      timeoutMs: 30_000,
    });
    await outage;
    expect(w1.proc.child.exitCode).toBeNull();
    const jobId = await submitSlow();
    const job = await finished(jobId);
    expect(job).toMatchObject({ state: "succeeded", attempt: 1, nodeId: w1.nodeId });
  });
});
