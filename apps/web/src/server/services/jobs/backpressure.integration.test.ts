import { beforeAll, describe, expect, it } from "vitest";
import { errorResponse } from "../../errors.ts";
import { refusal } from "../../testing/job-fixtures.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { assertAdmissible, drainRate, queueEstimate } from "./backpressure.ts";

// Backpressure against a real Postgres: an organisation's queue cap and a full network
// both answer 429 with a Retry-After, before anything is written.

const db = setupServiceDatabase({ name: "bp", env: { ORG_MAX_QUEUED_JOBS: "5", MAX_QUEUE_WAIT_MS: "2000" } });
const M1 = "1".repeat(64);
const M2 = "2".repeat(64);
const M3 = "3".repeat(64);
let busy: string;
let other: string;

async function jobs(orgId: string, modelId: string, n: number, state: "queued" | "succeeded", finishedAgoMs = 0) {
  for (let i = 0; i < n; i++) {
    await db.t.prisma.job.create({
      data: {
        orgId,
        modelId,
        state,
        costMilliCu: 1,
        price: 1n,
        inputHash: "h",
        inputBytes: 1,
        createdAt: new Date(Date.now() - 60_000 + i),
        finishedAt: state === "succeeded" ? new Date(Date.now() - finishedAgoMs) : null,
      },
    });
  }
}

beforeAll(async () => {
  for (const id of [M1, M2, M3]) {
    await db.t.prisma.model.create({
      data: { id, slug: `m${id[0]}`, name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
    });
  }
  busy = (await db.t.prisma.organization.create({ data: { slug: "busy", name: "busy" }, select: { id: true } })).id;
  other = (await db.t.prisma.organization.create({ data: { slug: "other", name: "other" }, select: { id: true } })).id;
});

describe("backpressure", () => {
  it("an organisation at its queue cap gets a 429 with Retry-After; others are not affected", async () => {
    await jobs(busy, M1, 4, "queued");
    await expect(assertAdmissible({ orgId: busy, modelId: M1 })).resolves.toBeUndefined();
    await jobs(busy, M1, 1, "queued");
    const err = await refusal(assertAdmissible({ orgId: busy, modelId: M1 }));
    expect(err.code).toBe("RATE_LIMITED");
    expect(err.details).toMatchObject({ reason: "org_queue_full" });
    const res = errorResponse(err);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/5 jobs queued/);
    await expect(assertAdmissible({ orgId: other, modelId: M1 })).resolves.toBeUndefined();
  });

  it("a model whose queue would take longer than the bound to drain at recent throughput is full", async () => {
    // No worker serves M2 yet: jobs are accepted and wait, and the estimate says why.
    await jobs(other, M2, 3, "queued");
    await expect(assertAdmissible({ orgId: other, modelId: M2 })).resolves.toBeUndefined();
    const first = await db.t.prisma.job.findFirstOrThrow({ where: { modelId: M2, state: "queued" }, orderBy: { createdAt: "asc" } });
    expect(await queueEstimate({ modelId: M2, createdAt: first.createdAt })).toEqual({
      position: 1,
      estimatedStartMs: null,
      reason: "no online worker serves this model yet",
    });

    const provider = (await db.t.prisma.organization.create({ data: { slug: "p", name: "p", kind: "provider" }, select: { id: true } })).id;
    await db.t.prisma.node.create({
      data: { orgId: provider, name: "w", publicKey: "k", region: "local", models: [M2], status: "online", maxConcurrency: 1 },
    });
    // Ten finished in the last ten seconds: one a second. Three queued: three seconds > 2 s.
    await jobs(other, M2, 10, "succeeded", 10_000);
    await new Promise((r) => setTimeout(r, 1_100)); // the per-model load is cached for a second
    const err = await refusal(assertAdmissible({ orgId: other, modelId: M2 }));
    expect(err.details).toMatchObject({ reason: "network_full" });
    const wait = (err.details as { estimatedWaitMs: number }).estimatedWaitMs;
    expect(wait).toBeGreaterThan(2_000);
    expect(wait).toBeLessThan(4_000);
    const last = await db.t.prisma.job.findFirstOrThrow({ where: { modelId: M2, state: "queued" }, orderBy: { createdAt: "desc" } });
    const estimate = await queueEstimate({ modelId: M2, createdAt: last.createdAt });
    expect(estimate.position).toBe(3);
    expect(estimate.estimatedStartMs).toBeGreaterThan(2_000);
  });

  it("a network that just started is judged by what its slots can run, not by the few jobs it has finished", async () => {
    const provider = (await db.t.prisma.organization.create({ data: { slug: "p3", name: "p3", kind: "provider" }, select: { id: true } }))
      .id;
    await db.t.prisma.node.create({
      data: { orgId: provider, name: "w3", publicKey: "k3", region: "local", models: [M3], status: "online", maxConcurrency: 2 },
    });
    // One job finished half a second ago after a 50 ms run; 30 queued behind it. Observed
    // throughput alone (1 job in 10 s) says 300 s of queue; two slots at 50 ms drain it in
    // 0.75 s, under the 2 s bound.
    const now = Date.now();
    await db.t.prisma.job.create({
      data: {
        orgId: other,
        modelId: M3,
        state: "succeeded",
        costMilliCu: 1,
        price: 1n,
        inputHash: "h",
        inputBytes: 1,
        startedAt: new Date(now - 550),
        finishedAt: new Date(now - 500),
      },
    });
    const flood = (await db.t.prisma.organization.create({ data: { slug: "flood", name: "flood" }, select: { id: true } })).id;
    const fresh = (await db.t.prisma.organization.create({ data: { slug: "fresh", name: "fresh" }, select: { id: true } })).id;
    await jobs(flood, M3, 30, "queued");
    await expect(assertAdmissible({ orgId: fresh, modelId: M3 })).resolves.toBeUndefined();
    const last = await db.t.prisma.job.findFirstOrThrow({ where: { modelId: M3, state: "queued" }, orderBy: { createdAt: "desc" } });
    const estimate = await queueEstimate({ modelId: M3, createdAt: last.createdAt });
    expect(estimate.position).toBe(30);
    expect(estimate.estimatedStartMs).toBeGreaterThan(500);
    expect(estimate.estimatedStartMs).toBeLessThan(1_000);
  });
});

describe("drainRate", () => {
  it("is the larger of the observed throughput and the slots' capacity at the median run time", () => {
    expect(drainRate({ done: 1, spanS: 0.5, slots: 2, medianRunS: 0.05 })).toBe(40);
    expect(drainRate({ done: 600, spanS: 300, slots: 2, medianRunS: 5 })).toBe(2);
    // No run times known: observed only, over at least 10 s.
    expect(drainRate({ done: 5, spanS: 1, slots: 4, medianRunS: null })).toBe(0.5);
    expect(drainRate({ done: 0, spanS: null, slots: 0, medianRunS: null })).toBe(0);
  });
});
