import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "../client.ts";
import { createTestDatabase } from "../testing/create-test-database.ts";
import { assignJobs } from "./assign-jobs.ts";
import { claimJob } from "./claim-job.ts";
import { extendLeasesAfterOutage } from "./extend-leases.ts";
import { renewLease } from "./renew-lease.ts";
import { sweepExpiredLeases } from "./sweep-expired-leases.ts";

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let orgId: string;
const MODEL = "a".repeat(64);
const nodes: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  orgId = (await t.prisma.organization.create({ data: { slug: "o", name: "o" }, select: { id: true } })).id;
  await t.prisma.model.create({
    data: { id: MODEL, slug: "m", name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
  });
  for (let i = 0; i < 6; i++) {
    const n = await t.prisma.node.create({
      data: { orgId, name: `n${i}`, publicKey: `key${i}`, region: "local", models: [MODEL] },
      select: { id: true },
    });
    nodes.push(n.id);
  }
});
afterAll(async () => {
  await t?.drop();
});

async function insertJobs(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const job = await t.prisma.job.create({
      data: { orgId, modelId: MODEL, costMilliCu: 1, price: 1n, inputHash: "h", inputBytes: 1, payload: { create: { input: { i } } } },
      select: { id: true },
    });
    ids.push(job.id);
  }
  return ids;
}

/** What the dispatcher does: offer each job to a node. */
async function assign(ids: readonly string[], nodeOf: (i: number) => string, offerMs = 60_000) {
  return assignJobs(
    t.prisma,
    ids.map((jobId, i) => ({ jobId, nodeId: nodeOf(i), unitPrice: 1n, placement: { i }, reservationId: null })),
    { offerMs },
  );
}

describe("claimJob (FOR UPDATE SKIP LOCKED)", () => {
  it("six nodes with three lease slots each, claiming concurrently on separate connections, claim each job once and only their own", async () => {
    const ids = await insertJobs(300);
    expect(await assign(ids, (i) => nodes[i % nodes.length] as string)).toHaveLength(300);
    const claimed: { id: string; nodeId: string }[] = [];
    await Promise.all(
      nodes.flatMap((nodeId) =>
        [0, 1, 2].map(async () => {
          const own = createPrismaClient(t.url, { maxConnections: 1 });
          try {
            for (;;) {
              const job = await claimJob(own, { nodeId, modelIds: [MODEL], leaseMs: 60_000 });
              if (!job) break;
              claimed.push({ id: job.id, nodeId });
            }
          } finally {
            await own.$disconnect();
          }
        }),
      ),
    );
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed.map((c) => c.id)).size).toBe(300);
    for (const c of claimed) expect(c.nodeId).toBe(nodes[ids.indexOf(c.id) % nodes.length]);
    expect(await t.prisma.jobAttempt.count()).toBe(300);
  });

  it("a queued job is not claimable until assigned; an offer that lapses returns to the queue with the node declined", async () => {
    await t.prisma.job.deleteMany();
    const [id] = (await insertJobs(1)) as [string];
    expect(await claimJob(t.prisma, { nodeId: nodes[0]!, modelIds: [MODEL], leaseMs: 60_000 })).toBeNull();
    await assign([id], () => nodes[0]!, 1);
    // Another node cannot take a job offered to someone else.
    expect(await claimJob(t.prisma, { nodeId: nodes[1]!, modelIds: [MODEL], leaseMs: 60_000 })).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    const swept = await t.prisma.$transaction((tx) => sweepExpiredLeases(tx, { limit: 10 }));
    expect(swept.map((s) => s.state)).toEqual(["queued"]);
    const job = await t.prisma.job.findUniqueOrThrow({
      where: { id },
      select: { state: true, nodeId: true, attempt: true, placement: true },
    });
    expect(job).toMatchObject({ state: "queued", nodeId: null, attempt: 0, placement: { declined: [nodes[0]] } });
    // A second assignment keeps the declined list.
    await assign([id], () => nodes[1]!);
    const again = await t.prisma.job.findUniqueOrThrow({ where: { id }, select: { placement: true } });
    expect(again.placement).toEqual({ i: 0, declined: [nodes[0]] });
    expect(await claimJob(t.prisma, { nodeId: nodes[1]!, modelIds: [MODEL], leaseMs: 60_000 })).toMatchObject({ id, attempt: 1 });
  });

  it("a swept lease is claimed again with the next attempt; the old attempt can no longer renew", async () => {
    await t.prisma.job.deleteMany();
    const [id] = (await insertJobs(1)) as [string];
    const [n0, n1] = nodes as [string, string];
    await assign([id], () => n0);
    const first = await claimJob(t.prisma, { nodeId: n0, modelIds: [MODEL], leaseMs: 1 });
    expect(first?.attempt).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    const swept = await t.prisma.$transaction((tx) => sweepExpiredLeases(tx, { limit: 10 }));
    expect(swept.map((s) => s.state)).toEqual(["queued"]);
    await assign([id], () => n1);
    const second = await claimJob(t.prisma, { nodeId: n1, modelIds: [MODEL], leaseMs: 60_000 });
    expect(second).toMatchObject({ id: first?.id, attempt: 2 });
    expect(await renewLease(t.prisma, { jobId: first!.id, nodeId: n0, attempt: 1, leaseMs: 60_000 })).toBeNull();
    expect(await renewLease(t.prisma, { jobId: first!.id, nodeId: n1, attempt: 2, leaseMs: 60_000 })).toBeInstanceOf(Date);
  });

  it("a job out of attempts fails instead of circulating", async () => {
    await t.prisma.job.deleteMany();
    const [id] = (await insertJobs(1)) as [string];
    for (let i = 0; i < 3; i++) {
      await assign([id], () => nodes[0]!);
      await claimJob(t.prisma, { nodeId: nodes[0]!, modelIds: [MODEL], leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 10));
      await t.prisma.$transaction((tx) => sweepExpiredLeases(tx, { limit: 10 }));
    }
    const job = await t.prisma.job.findFirst({ select: { state: true, attempt: true } });
    expect(job).toEqual({ state: "failed", attempt: 3 });
    expect(await claimJob(t.prisma, { nodeId: nodes[0]!, modelIds: [MODEL], leaseMs: 1 })).toBeNull();
  });

  it("an assignment with claim is leased in the placing statement, as a claim would lease it; one out of attempts or no longer queued is not", async () => {
    await t.prisma.job.deleteMany();
    const [fresh, spent, gone] = (await insertJobs(3)) as [string, string, string];
    await t.prisma.job.update({ where: { id: spent }, data: { attempt: 3, maxAttempts: 3 } });
    await t.prisma.job.update({ where: { id: gone }, data: { state: "canceled" } });
    const done = await assignJobs(
      t.prisma,
      [fresh, spent, gone].map((jobId) => ({
        jobId,
        nodeId: nodes[0]!,
        unitPrice: 7n,
        placement: { via: "test" },
        reservationId: null,
        claim: true,
      })),
      { offerMs: 60_000, leaseMs: 5_000 },
    );
    // The canceled job is left alone; the spent one is offered (and its claim will refuse it).
    expect(done.map((d) => d.id).sort()).toEqual([fresh, spent].sort());
    const leased = done.find((d) => d.id === fresh)?.claimed;
    expect(leased).toMatchObject({ id: fresh, attempt: 1, modelId: MODEL, orgId, input: { i: 0 } });
    expect(done.find((d) => d.id === spent)?.claimed).toBeNull();
    const rows = await t.prisma.job.findMany({
      where: { id: { in: [fresh, spent, gone] } },
      select: {
        id: true,
        state: true,
        attempt: true,
        nodeId: true,
        unitPrice: true,
        leaseExpiresAt: true,
        startedAt: true,
        assignedAt: true,
      },
    });
    const row = (id: string) => rows.find((r) => r.id === id)!;
    expect(row(fresh)).toMatchObject({ state: "running", attempt: 1, nodeId: nodes[0], unitPrice: 7n });
    expect(row(fresh).leaseExpiresAt?.getTime()).toBe(leased?.leaseExpiresAt.getTime());
    // The lease runs LEASE ms from the statement, not the offer's 60 s.
    expect(row(fresh).leaseExpiresAt!.getTime() - row(fresh).startedAt!.getTime()).toBe(5_000);
    expect(row(spent)).toMatchObject({ state: "assigned", attempt: 3, nodeId: nodes[0], startedAt: null });
    expect(row(gone)).toMatchObject({ state: "canceled", nodeId: null });
    expect(await t.prisma.jobAttempt.findMany({ select: { jobId: true, attempt: true, nodeId: true } })).toEqual([
      { jobId: fresh, attempt: 1, nodeId: nodes[0] },
    ]);
    // Leased, not offered: no other claim takes it, and its holder renews it at attempt 1.
    expect(await claimJob(t.prisma, { nodeId: nodes[0]!, modelIds: [MODEL], leaseMs: 1 })).toBeNull();
    expect(await renewLease(t.prisma, { jobId: fresh, nodeId: nodes[0]!, attempt: 1, leaseMs: 5_000 })).toBeTruthy();
  });

  it("an assignment with claim to a node quarantined since the caller's read is only offered, unless the job is the node's own challenge", async () => {
    await t.prisma.job.deleteMany();
    const [customer, challenge] = (await insertJobs(2)) as [string, string];
    const node = nodes[5]!;
    await t.prisma.job.update({ where: { id: challenge }, data: { pinnedNodeId: node } });
    await t.prisma.node.update({ where: { id: node }, data: { status: "quarantined" } });
    try {
      const done = await assignJobs(
        t.prisma,
        [customer, challenge].map((jobId) => ({ jobId, nodeId: node, unitPrice: 1n, placement: {}, reservationId: null, claim: true })),
        { offerMs: 60_000, leaseMs: 5_000 },
      );
      expect(done.find((d) => d.id === customer)?.claimed).toBeNull();
      expect(done.find((d) => d.id === challenge)?.claimed).toMatchObject({ id: challenge, attempt: 1 });
      // The offer's claim, on pinned-only as the lease gate says for a quarantined node, refuses it.
      expect(await claimJob(t.prisma, { nodeId: node, modelIds: [MODEL], leaseMs: 1, pinnedOnly: true })).toBeNull();
    } finally {
      await t.prisma.node.update({ where: { id: node }, data: { status: "online" } });
    }
  });

  it("a new leader's grace lengthens expired leases and offers, never shortens one, and the sweep then leaves them", async () => {
    await t.prisma.job.deleteMany();
    const [expired, long, offered] = (await insertJobs(3)) as [string, string, string];
    const [n0, n1, n2] = nodes as [string, string, string];
    await assign([expired], () => n0);
    await claimJob(t.prisma, { nodeId: n0, modelIds: [MODEL], leaseMs: 1 });
    await assign([long], () => n1);
    await claimJob(t.prisma, { nodeId: n1, modelIds: [MODEL], leaseMs: 600_000 });
    await assign([offered], () => n2, 1);
    await new Promise((r) => setTimeout(r, 20)); // the 1 ms lease and offer are past

    const longBefore = (await t.prisma.job.findUniqueOrThrow({ where: { id: long }, select: { leaseExpiresAt: true } })).leaseExpiresAt;
    expect(await extendLeasesAfterOutage(t.prisma, { leaseMs: 5_000, offerMs: 3_000 })).toEqual({ running: 2, assigned: 1 });
    expect(await t.prisma.$transaction((tx) => sweepExpiredLeases(tx, { limit: 10 }))).toEqual([]);
    const after = new Map((await t.prisma.job.findMany({ select: { id: true, state: true, leaseExpiresAt: true } })).map((j) => [j.id, j]));
    const left = (id: string) => (after.get(id)?.leaseExpiresAt?.getTime() ?? 0) - Date.now();
    expect(after.get(expired)?.state).toBe("running");
    expect(left(expired)).toBeGreaterThan(0);
    expect(left(expired)).toBeLessThanOrEqual(5_000);
    expect(after.get(offered)?.state).toBe("assigned");
    expect(left(offered)).toBeLessThanOrEqual(3_000);
    expect(after.get(long)?.leaseExpiresAt).toEqual(longBefore); // already longer: untouched
  });

  it("a job on an uploaded model (custom-…) is claimed only by a node that accepts them, even when offered to another", async () => {
    await t.prisma.job.deleteMany();
    const CUSTOM = "c".repeat(64);
    await t.prisma.model.create({
      data: {
        id: CUSTOM,
        slug: `custom-${CUSTOM.slice(0, 12)}`,
        name: "c",
        kind: "tensor",
        description: "",
        signature: {},
        baseCostMilliCu: 1,
        builtIn: false,
      },
    });
    const job = await t.prisma.job.create({
      data: { orgId, modelId: CUSTOM, costMilliCu: 1, price: 1n, inputHash: "h", inputBytes: 1, payload: { create: { input: {} } } },
      select: { id: true },
    });
    const [plain, accepting] = nodes as [string, string];
    // Offered (by mistake, or before an opt-out) to a node that does not accept custom models: it cannot claim it.
    await assign([job.id], () => plain);
    expect(await claimJob(t.prisma, { nodeId: plain, modelIds: [MODEL], leaseMs: 60_000 })).toBeNull();
    expect(await claimJob(t.prisma, { nodeId: plain, modelIds: [MODEL], acceptsCustomModels: false, leaseMs: 60_000 })).toBeNull();
    // Offered to one that accepts them: claimed, though the id is not among its models.
    await t.prisma.job.update({ where: { id: job.id }, data: { state: "queued", nodeId: null } });
    await assign([job.id], () => accepting);
    const claimed = await claimJob(t.prisma, { nodeId: accepting, modelIds: [MODEL], acceptsCustomModels: true, leaseMs: 60_000 });
    expect(claimed?.id).toBe(job.id);
    expect(claimed?.modelId).toBe(CUSTOM);

    // Accepting custom models is not accepting any model: a catalog model it does not run stays unclaimed.
    const OTHER = "d".repeat(64);
    await t.prisma.model.create({
      data: { id: OTHER, slug: "other-catalog", name: "o", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
    });
    const other = await t.prisma.job.create({
      data: { orgId, modelId: OTHER, costMilliCu: 1, price: 1n, inputHash: "h", inputBytes: 1, payload: { create: { input: {} } } },
      select: { id: true },
    });
    await assign([other.id], () => accepting);
    expect(await claimJob(t.prisma, { nodeId: accepting, modelIds: [MODEL], acceptsCustomModels: true, leaseMs: 60_000 })).toBeNull();
  });
});
