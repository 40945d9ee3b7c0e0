import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { completeAs, createModel, createWorker, ENCODER, encoderOutput, jobRow, OCR, resetMarket } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { submitJob } from "../jobs/submit-job.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { Dispatcher } from "./dispatcher.ts";

// One dispatch round against a real Postgres: queued jobs are offered only to workers that
// can run them now (online, not quarantined or refused, not paused by their provider,
// serving the job's model), never past a worker's slots or the organisation's concurrency
// limit; the rest stay queued for a later round.

const db = setupServiceDatabase({
  name: "dispatch",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000" },
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

async function submitMany(orgId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await submitJob({ orgId, request: { model: ENCODER, input: { text: `job ${i}` } } })).id);
  return ids;
}

/** Where each job is: its state and node. */
async function where(ids: string[]) {
  const rows = await db.t.prisma.job.findMany({ where: { id: { in: ids } }, select: { state: true, nodeId: true } });
  return {
    queued: rows.filter((r) => r.state === "queued").length,
    assignedTo: rows.filter((r) => r.state === "assigned").map((r) => r.nodeId),
  };
}

describe("Dispatcher.tick", () => {
  it("offers jobs only to online, admitted, unpaused workers serving the model, up to their free slots", async () => {
    const good = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 2 });
    // Each of these has free slots and would be eligible but for one thing.
    const ineligible = {
      paused: await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4, paused: true }),
      quarantined: await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4, status: "quarantined" }),
      refused: await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4, status: "quarantined", admission: "refused" }),
      offline: await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4, status: "offline" }),
      otherModel: await createWorker({ orgId: provider, models: [ocrId], maxConcurrency: 4 }),
    };
    const ids = await submitMany(customer, 5);

    const round = await new Dispatcher().tick();
    expect(round.placed).toBe(2);
    expect(round.queued).toBe(5);
    expect(await where(ids)).toEqual({ queued: 3, assignedTo: [good.identity.id, good.identity.id] });
    const placed = await db.t.prisma.job.findMany({
      where: { id: { in: ids }, state: "assigned" },
      select: { placement: true, unitPrice: true },
    });
    for (const p of placed) {
      expect(p.placement).toMatchObject({ via: "indexer", workerId: good.identity.id });
      expect(p.unitPrice).toBe(50_000n);
    }
    for (const w of Object.values(ineligible)) expect(await leaseJob({ node: w.identity, waitMs: 0 })).toBeNull();

    // The only eligible worker is full: another round places nothing.
    expect((await new Dispatcher().tick()).placed).toBe(0);
    expect((await where(ids)).queued).toBe(3);

    // A slot frees (one job leased and completed): the next round fills exactly that slot.
    const leased = await leaseJob({ node: good.identity, waitMs: 0 });
    expect(leased).not.toBeNull();
    expect((await completeAs(good, { id: leased?.jobId ?? "", attempt: leased?.attempt ?? 0 }, encoderOutput(1))).status).toBe("accepted");
    expect((await new Dispatcher().tick()).placed).toBe(1);
    expect(await where(ids)).toEqual({ queued: 2, assignedTo: [good.identity.id, good.identity.id] });
  });

  it("counts the jobs a worker already holds against its max concurrency", async () => {
    const w = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 3 });
    const first = await submitMany(customer, 2);
    expect((await new Dispatcher().tick()).placed).toBe(2);
    expect((await leaseJob({ node: w.identity, waitMs: 0 }))?.attempt).toBe(1);
    // One running, one assigned: one slot left however many are queued.
    const more = await submitMany(customer, 4);
    expect((await new Dispatcher().tick()).placed).toBe(1);
    expect((await where([...first, ...more])).assignedTo).toHaveLength(2);
    expect((await where(more)).queued).toBe(3);
  });

  it("offers an organisation no more jobs at once than its concurrency limit", async () => {
    await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4 });
    await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4 });
    const limited = await createOrg("limited", "customer", 1_000_000_000n);
    await db.t.prisma.organization.update({ where: { id: limited }, data: { maxConcurrentJobs: 2 } });
    const ids = await submitMany(limited, 5);
    expect((await new Dispatcher().tick()).placed).toBe(2);
    expect((await where(ids)).queued).toBe(3);
    // Another organisation's jobs still use the free slots.
    const others = await submitMany(customer, 3);
    expect((await new Dispatcher().tick()).placed).toBe(3);
    expect((await where(others)).queued).toBe(0);
    expect((await where(ids)).queued).toBe(3);
  });

  it("places nothing while no online worker serves the model, and the jobs wait in the queue", async () => {
    await createWorker({ orgId: provider, models: [ocrId], maxConcurrency: 4 });
    const ids = await submitMany(customer, 2);
    expect((await new Dispatcher().tick()).placed).toBe(0);
    for (const id of ids) expect(await jobRow(id)).toMatchObject({ state: "queued", nodeId: null, attempt: 0 });
  });
});
