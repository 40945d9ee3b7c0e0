import { createPrismaClient } from "@proofgrid/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerSnapshot } from "../support/ledger.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

let stack: Stack;
let prisma: ReturnType<typeof createPrismaClient>;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000 });
  prisma = createPrismaClient(stack.database.url, { maxConnections: 2 });
  await Promise.all([stack.addWorker("a", { CONCURRENCY: "2" }), stack.addWorker("b", { CONCURRENCY: "2" }), stack.addWorker("c")]);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await stack?.stop();
});

describe("several clients submitting while several workers lease", () => {
  it("no job is held by two leases, none is lost, none runs twice to success", async () => {
    const CLIENTS = 4;
    const PER_CLIENT = 40;
    const ids = (
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const out: string[] = [];
          for (let i = 0; i < PER_CLIENT; i++) {
            const res = await api<{ id: string }>(stack, "/api/v1/jobs", {
              body: { model: "encoder-synthetic-minilm", input: { text: `client ${c} job ${i}` } },
            });
            expect(res.status).toBe(201);
            out.push(res.body.id);
          }
          return out;
        }),
      )
    ).flat();
    expect(new Set(ids).size).toBe(CLIENTS * PER_CLIENT);

    await waitFor("every job to succeed", async () => (await prisma.job.count({ where: { state: "succeeded" } })) === ids.length, {
      timeoutMs: 180_000,
      intervalMs: 250,
    });

    const attempts = await prisma.jobAttempt.findMany({ select: { jobId: true, attempt: true, outcome: true, nodeId: true } });
    const byJob = new Map<string, typeof attempts>();
    for (const a of attempts) byJob.set(a.jobId, [...(byJob.get(a.jobId) ?? []), a]);
    expect(byJob.size).toBe(ids.length);
    for (const id of ids) {
      const list = byJob.get(id) ?? [];
      expect(
        list.filter((a) => a.outcome === "succeeded"),
        `job ${id}`,
      ).toHaveLength(1);
      // No crash happened, so every job was leased exactly once.
      expect(list, `job ${id}`).toHaveLength(1);
    }
    const nodes = new Set(attempts.map((a) => a.nodeId));
    expect(nodes.size).toBe(3); // every worker took part

    const settles = await prisma.ledgerTransfer.groupBy({ by: ["jobId"], where: { kind: "settle" }, _count: { _all: true } });
    expect(settles).toHaveLength(ids.length);
    expect(settles.every((s) => s._count._all === 1)).toBe(true);
    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(snap.held).toBe(0n);
    expect(snap.check.ok).toBe(true);
  });
});
