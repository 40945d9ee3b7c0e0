import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createModel, createWorker, ENCODER, jobRow, OCR, resetMarket } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { jobEvents } from "../../events/job-events.ts";
import { resetEnvCache } from "../../env.ts";
import { submitJob } from "../jobs/submit-job.ts";
import { submitBatch } from "../jobs/submit-batch.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { submitPlacer } from "./place-at-submit.ts";

// Placement at submit (issue 15): a worker waiting for work in this process gets a job
// submitted here without any coordinator round — the web process runs the indexer's round
// itself after the submit commits and wakes the wait in memory — and by the same rules as
// the coordinator's dispatcher (here: the model, the organisation's concurrency limit).
// Nothing here runs a dispatcher, and JOB_NOTIFY is off: no NOTIFY can wake the lease.

const db = setupServiceDatabase({
  name: "place_at_submit",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000", JOB_NOTIFY: "0" },
});

let encoderId: string;
let ocrId: string;
let customer: string;
let provider: string;

beforeAll(async () => {
  encoderId = await createModel(ENCODER);
  ocrId = await createModel(OCR);
  customer = await createOrg("customer", "customer", 1_000_000_000n);
  provider = await createOrg("provider", "provider");
});
beforeEach(resetMarket);
afterEach(() => {
  delete process.env.PLACE_AT_SUBMIT;
  resetEnvCache();
});

/** Until the placer's rounds started by the submits before it have ended. */
async function placerIdle(): Promise<void> {
  for (let i = 0; i < 200 && !submitPlacer.idle; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("placement at submit", () => {
  it("a worker waiting in this process leases a job submitted here at once, with no dispatcher round and no NOTIFY", async () => {
    const w = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 1 });
    const rounds = submitPlacer.rounds;
    // Only a placement can give it a job: no dispatcher runs, and its fallback polls claim only assigned jobs.
    const lease = leaseJob({ node: w.identity, waitMs: 20_000 });
    await waitFor(() => jobEvents.nodesWaiting > 0);
    const job = await submitJob({ orgId: customer, request: { model: ENCODER, input: { text: "placed at submit" } } });
    const leased = await lease;
    expect(leased?.jobId).toBe(job.id);
    expect(submitPlacer.rounds).toBeGreaterThan(rounds);
    const row = await db.t.prisma.job.findUniqueOrThrow({ where: { id: job.id }, select: { state: true, nodeId: true, placement: true } });
    expect(row).toMatchObject({ state: "running", nodeId: w.identity.id });
    expect(row.placement).toMatchObject({ via: "indexer", workerId: w.identity.id });
  });

  it("runs no round when no worker waits in this process: the job stays queued for the coordinator", async () => {
    await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 1 });
    const rounds = submitPlacer.rounds;
    const job = await submitJob({ orgId: customer, request: { model: ENCODER, input: { text: "nobody waits here" } } });
    await placerIdle();
    expect(submitPlacer.rounds).toBe(rounds);
    expect(await jobRow(job.id)).toMatchObject({ state: "queued", nodeId: null });
  });

  it("offers a waiting worker nothing it cannot run, and nothing past the organisation's concurrency limit", async () => {
    const ocrWorker = await createWorker({ orgId: provider, models: [ocrId], maxConcurrency: 1 });
    const ocrLease = leaseJob({ node: ocrWorker.identity, waitMs: 1_500 });
    await waitFor(() => jobEvents.nodesWaiting > 0);
    const encoderJob = await submitJob({ orgId: customer, request: { model: ENCODER, input: { text: "no encoder worker" } } });
    expect(await ocrLease).toBeNull();
    expect(await jobRow(encoderJob.id)).toMatchObject({ state: "queued", nodeId: null });

    const limited = await createOrg("limited", "customer", 1_000_000_000n);
    await db.t.prisma.organization.update({ where: { id: limited }, data: { maxConcurrentJobs: 1 } });
    const w = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4 });
    const leases = [1, 2].map(() => leaseJob({ node: w.identity, waitMs: 1_500 }));
    await waitFor(() => jobEvents.nodesWaiting > 0);
    // A batch of 3 from an organisation that may run one at a time (and the queued encoder job above).
    const batch = await submitBatch({
      orgId: limited,
      request: { jobs: [1, 2, 3].map((i) => ({ model: ENCODER, input: { text: `limited ${i}` } })) },
    });
    const got = (await Promise.all(leases)).filter((l) => l !== null).map((l) => l?.jobId);
    const limitedIds = new Set(batch.jobs.map((j) => j.id));
    // One of the limited organisation's jobs and the other organisation's queued job: the round is the dispatcher's, whole.
    expect(got.filter((id) => limitedIds.has(id as string))).toHaveLength(1);
    expect(got).toContain(encoderJob.id);
  });

  it("a worker quarantined while its lease waits is offered no customer job by a placement at submit", async () => {
    const w = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 1 });
    // The lease's identity was read before the quarantine (as a session's is): only the round's own read can see it.
    const lease = leaseJob({ node: w.identity, waitMs: 1_500 });
    await waitFor(() => jobEvents.nodesWaiting > 0);
    await db.t.prisma.node.update({ where: { id: w.identity.id }, data: { status: "quarantined" } });
    const rounds = submitPlacer.rounds;
    const job = await submitJob({ orgId: customer, request: { model: ENCODER, input: { text: "not for a quarantined node" } } });
    expect(await lease).toBeNull();
    expect(submitPlacer.rounds).toBeGreaterThan(rounds);
    expect(await jobRow(job.id)).toMatchObject({ state: "queued", nodeId: null });
  });

  it("PLACE_AT_SUBMIT=0 leaves placement to the coordinator", async () => {
    process.env.PLACE_AT_SUBMIT = "0";
    resetEnvCache();
    const w = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 1 });
    const rounds = submitPlacer.rounds;
    const lease = leaseJob({ node: w.identity, waitMs: 600 });
    await waitFor(() => jobEvents.nodesWaiting > 0);
    const job = await submitJob({ orgId: customer, request: { model: ENCODER, input: { text: "off" } } });
    expect(await lease).toBeNull();
    expect(submitPlacer.rounds).toBe(rounds);
    expect(await jobRow(job.id)).toMatchObject({ state: "queued" });
  });
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error("condition not reached");
}
