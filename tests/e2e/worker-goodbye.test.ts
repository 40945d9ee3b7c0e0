import { createPrismaClient } from "@proofgrid/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadIdentity } from "../../apps/worker/src/identity/node-identity.ts";
import { NodeClient } from "../../apps/worker/src/protocol/node-client.ts";
import { renderTextPng } from "../support/inputs.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// A clean stop used to leave a worker "online" until the silence timeout (60 s, swept every
// 30 s). The silence path is pushed far out here (5 min), so only the goodbye can explain
// an offline node seconds after the stop. The offer window is long (60 s) for the same reason.
let stack: Stack;
let prisma: ReturnType<typeof createPrismaClient>;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 3_000, env: { NODE_OFFLINE_AFTER_MS: "300000", DISPATCH_OFFER_MS: "60000" } });
  prisma = createPrismaClient(stack.database.url, { maxConnections: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await stack?.stop();
});

const nodeStatus = async (id: string) => (await prisma.node.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
const openOutages = (nodeId: string) => prisma.nodeOutage.count({ where: { nodeId, endedAt: null } });

describe("a worker that stops cleanly says goodbye", () => {
  it("is offline as soon as its process has exited, with an outage from that moment", async () => {
    const w = await stack.addWorker("leaving");
    await waitFor("the worker to run", async () => w.logs.some((l) => l.includes("worker started")));
    // It works first: one job, paid, so the stop is of a worker that really served.
    const job = await api<{ id: string }>(stack, "/api/v1/jobs", {
      body: { model: "encoder-synthetic-minilm", input: { text: "before the goodbye" } },
    });
    const done = await api<{ state: string }>(stack, `/api/v1/jobs/${job.body.id}?wait=60000`);
    expect(done.body.state).toBe("succeeded");
    expect(await nodeStatus(w.nodeId)).toBe("online");

    const stoppedAt = Date.now();
    await w.proc.stop(20_000);
    expect(w.logs.some((l) => l.includes("said goodbye"))).toBe(true);
    expect(await nodeStatus(w.nodeId)).toBe("offline");
    expect(Date.now() - stoppedAt).toBeLessThan(30_000); // far inside the 5-minute silence timeout
    expect(await openOutages(w.nodeId)).toBe(1);
    // The job it ran stays as it was: succeeded, paid once.
    const settled = await prisma.ledgerTransfer.count({ where: { jobId: job.body.id, kind: "settle" } });
    expect(settled).toBe(1);

    // Started again with its saved key, it is online again and its outage is closed.
    const back = stack.restartWorker(w);
    await waitFor("the worker back online", async () => (await nodeStatus(w.nodeId)) === "online" && (await openOutages(w.nodeId)) === 0);
    await back.proc.stop(20_000);
    expect(await nodeStatus(w.nodeId)).toBe("offline");
  });

  it("hands its unleased offers back to the queue at once, and leaves another node's running job alone", async () => {
    // `idle` is registered (online) but its daemon never runs: the indexer offers it the job.
    const idle = await stack.addWorker("idle", {}, { start: false });
    const long = (
      await renderTextPng(
        Array.from({ length: 40 }, (_, i) => `line ${i} of a long page for the goodbye test`),
        { fontSize: 28 },
      )
    ).toString("base64");
    const offered = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: "ocr-ppocr-v4", input: { image: long } } });
    expect(offered.status).toBe(201);
    await waitFor("the offer to the idle node", async () => {
      const j = await prisma.job.findUnique({ where: { id: offered.body.id }, select: { state: true, nodeId: true } });
      return j?.state === "assigned" && j.nodeId === idle.nodeId;
    });

    const idleClient = new NodeClient(loadIdentity(idle.nodeDir), 10_000);
    const bye = await idleClient.post<{ status: string; offersReturned: number }>("/api/node/goodbye", {});
    expect(bye).toEqual({ status: "offline", offersReturned: 1 });
    expect(await nodeStatus(idle.nodeId)).toBe("offline");
    // Back in the queue within a sweep (250 ms here), not when the 60 s offer lapses; the idle node is declined.
    const requeued = await waitFor(
      "the offer back in the queue",
      async () => {
        const j = await prisma.job.findUnique({ where: { id: offered.body.id }, select: { state: true, placement: true } });
        return j?.state === "queued" ? j : null;
      },
      { timeoutMs: 10_000 },
    );
    expect((requeued.placement as { declined?: string[] }).declined).toContain(idle.nodeId);

    // A working node takes it; a goodbye from it mid-job (a confused or hostile client)
    // releases nothing: the running job keeps its lease, finishes and is paid once.
    const busy = await stack.addWorker("busy");
    await waitFor("the job running on the busy node", async () => {
      const j = await prisma.job.findUnique({ where: { id: offered.body.id }, select: { state: true, nodeId: true } });
      return j?.state === "running" && j.nodeId === busy.nodeId;
    });
    const busyClient = new NodeClient(loadIdentity(busy.nodeDir), 10_000);
    expect(await busyClient.post("/api/node/goodbye", {})).toEqual({ status: "offline", offersReturned: 0 });
    const run = await prisma.job.findUniqueOrThrow({ where: { id: offered.body.id }, select: { state: true, nodeId: true } });
    expect(run).toEqual({ state: "running", nodeId: busy.nodeId });
    const done = await api<{ state: string; attempt: number; workerId: string }>(stack, `/api/v1/jobs/${offered.body.id}?wait=60000`);
    expect(done.body).toMatchObject({ state: "succeeded", attempt: 1, workerId: busy.nodeId });
    expect(await prisma.ledgerTransfer.count({ where: { jobId: offered.body.id, kind: "settle" } })).toBe(1);
    // Its heartbeats brought it back: a goodbye is not a way to hide a working node.
    await waitFor("the busy node online again", async () => (await nodeStatus(busy.nodeId)) === "online");
    await busy.proc.stop(20_000);
  });

  it("refuses an unsigned goodbye", async () => {
    const res = await fetch(`${stack.url}/api/node/goodbye`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
  });
});
