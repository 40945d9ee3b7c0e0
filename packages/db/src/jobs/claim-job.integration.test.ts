import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "../client.ts";
import { createTestDatabase } from "../testing/create-test-database.ts";
import { claimJob } from "./claim-job.ts";
import { renewLease } from "./renew-lease.ts";
import { sweepExpiredLeases } from "./sweep-expired-leases.ts";

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let orgId: string;
const MODEL = "a".repeat(64);
const nodes: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  orgId = (await t.prisma.organization.create({ data: { slug: "o", name: "o" }, select: { id: true } })).id;
  await t.prisma.model.create({ data: { id: MODEL, slug: "m", name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 } });
  for (let i = 0; i < 6; i++) {
    const n = await t.prisma.node.create({ data: { orgId, name: `n${i}`, publicKey: `key${i}`, region: "local", models: [MODEL] }, select: { id: true } });
    nodes.push(n.id);
  }
});
afterAll(async () => {
  await t?.drop();
});

async function insertJobs(n: number) {
  for (let i = 0; i < n; i++) {
    await t.prisma.job.create({
      data: { orgId, modelId: MODEL, costMilliCu: 1, price: 1n, inputHash: "h", inputBytes: 1, payload: { create: { input: { i } } } },
    });
  }
}

describe("claimJob (FOR UPDATE SKIP LOCKED)", () => {
  it("six nodes claiming concurrently on separate connections never claim a job twice", async () => {
    await insertJobs(300);
    const claimed: string[] = [];
    await Promise.all(
      nodes.map(async (nodeId) => {
        const own = createPrismaClient(t.url, { maxConnections: 1 });
        try {
          for (;;) {
            const job = await claimJob(own, { nodeId, modelIds: [MODEL], leaseMs: 60_000 });
            if (!job) break;
            claimed.push(job.id);
          }
        } finally {
          await own.$disconnect();
        }
      }),
    );
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed).size).toBe(300);
    expect(await t.prisma.jobAttempt.count()).toBe(300);
  });

  it("a swept lease is claimed again with the next attempt; the old attempt can no longer renew", async () => {
    await t.prisma.job.deleteMany();
    await insertJobs(1);
    const [n0, n1] = nodes as [string, string];
    const first = await claimJob(t.prisma, { nodeId: n0, modelIds: [MODEL], leaseMs: 1 });
    expect(first?.attempt).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    const swept = await t.prisma.$transaction((tx) => sweepExpiredLeases(tx, { limit: 10 }));
    expect(swept.map((s) => s.state)).toEqual(["queued"]);
    const second = await claimJob(t.prisma, { nodeId: n1, modelIds: [MODEL], leaseMs: 60_000 });
    expect(second).toMatchObject({ id: first?.id, attempt: 2 });
    expect(await renewLease(t.prisma, { jobId: first!.id, nodeId: n0, attempt: 1, leaseMs: 60_000 })).toBeNull();
    expect(await renewLease(t.prisma, { jobId: first!.id, nodeId: n1, attempt: 2, leaseMs: 60_000 })).toBeInstanceOf(Date);
  });

  it("a job out of attempts fails instead of circulating", async () => {
    await t.prisma.job.deleteMany();
    await insertJobs(1);
    for (let i = 0; i < 3; i++) {
      await claimJob(t.prisma, { nodeId: nodes[0]!, modelIds: [MODEL], leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 10));
      await t.prisma.$transaction((tx) => sweepExpiredLeases(tx, { limit: 10 }));
    }
    const job = await t.prisma.job.findFirst({ select: { state: true, attempt: true } });
    expect(job).toEqual({ state: "failed", attempt: 3 });
    expect(await claimJob(t.prisma, { nodeId: nodes[0]!, modelIds: [MODEL], leaseMs: 1 })).toBeNull();
  });
});
