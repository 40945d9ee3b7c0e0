import { randomUUID } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { loadNetwork } from "../dispatch/network.ts";
import { updateWorker, ZUpdateWorkerRequest } from "./update-worker.ts";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { generateNodeKeyPair, signRequest } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { authenticateNode } from "../nodes/authenticate-node.ts";
import { listNodes } from "../nodes/list-nodes.ts";
import { ensureNodeAccounts, stakeNode } from "../verification/stake.ts";
import { getWorker } from "./get-worker.ts";
import { removeWorker } from "./remove-worker.ts";

// A provider renames, pauses (drains), resumes, prices and removes its worker, against a
// real Postgres, real signed node requests and the dispatcher's own view of the network.

let provider: string;
let other: string;
let nodeId: string;
const MODEL = "ab".repeat(32);

const db = setupServiceDatabase({ name: "update-worker" });

beforeAll(async () => {
  await db.t.prisma.model.create({
    data: { id: MODEL, slug: "test-model", name: "test", kind: "tensor", description: "test", signature: {}, baseCostMilliCu: 1 },
  });
  provider = await createOrg("provider", "provider");
  other = await createOrg("other", "provider");
  await grantCredits({ orgId: provider, amount: 1_000_000_000n, idempotencyKey: "funds", memo: "test" });
  const node = await db.t.prisma.node.create({
    data: {
      orgId: provider,
      name: "gpu-1",
      publicKey: "k".repeat(43),
      region: "local",
      models: [MODEL],
      claimedCuPerHour: 3600,
      cuPerHour: 3600,
      status: "online",
      lastSeenAt: new Date(),
    },
    select: { id: true },
  });
  nodeId = node.id;
});

const row = async () =>
  (
    await sql().$queryRaw<{ name: string; paused_at: Date | null; ask: string | null }[]>`
      SELECT name, paused_at, ask_price_per_cu::text AS ask FROM nodes WHERE id = ${nodeId}::uuid`
  )[0];
const placeable = async () => (await loadNetwork(sql())).some((w) => w.id === nodeId);

describe("a provider's changes to its worker", () => {
  it("pause drains it: out of the dispatcher's network, its unleased offer back to the queue; resume brings it back", async () => {
    expect(await placeable()).toBe(true);
    const offered = randomUUID();
    await sql().$executeRaw`
      INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, attempt, lease_expires_at)
      VALUES (${offered}::uuid, ${other}::uuid, ${MODEL}, 1, 0, ${"c".repeat(64)}, 1, 'assigned', ${nodeId}::uuid, 1, now() + interval '1 minute')`;
    const paused = await updateWorker({ orgId: provider, nodeId, request: { paused: true } });
    expect(paused).toMatchObject({ paused: true, offersReturned: 1 });
    expect(await placeable()).toBe(false);
    const lease = await sql().$queryRaw<
      { lapsed: boolean }[]
    >`SELECT lease_expires_at <= now() AS lapsed FROM jobs WHERE id = ${offered}::uuid`;
    expect(lease[0]?.lapsed).toBe(true);
    // Pausing again keeps the first moment.
    const again = await updateWorker({ orgId: provider, nodeId, request: { paused: true } });
    expect(again.pausedAt).toBe(paused.pausedAt);
    const resumed = await updateWorker({ orgId: provider, nodeId, request: { paused: false } });
    expect(resumed).toMatchObject({ paused: false, pausedAt: null });
    expect(await placeable()).toBe(true);
  });

  it("renames and prices it in one change", async () => {
    const r = await updateWorker({
      orgId: provider,
      nodeId,
      request: ZUpdateWorkerRequest.parse({ name: "  big gpu  ", askPricePerCu: "42000" }),
    });
    expect(r).toMatchObject({ name: "big gpu", askPricePerCu: "42000" });
    expect(await row()).toMatchObject({ name: "big gpu", ask: "42000" });
    await updateWorker({ orgId: provider, nodeId, request: { askPricePerCu: null } });
    expect((await row())?.ask).toBeNull();
  });

  it("refuses bad input with a clear error and changes nothing", async () => {
    const before = await row();
    for (const bad of [
      {},
      { name: "" },
      { name: "   " },
      { name: "x".repeat(65) },
      { name: "nul\u0000" },
      { paused: "yes" },
      { askPricePerCu: 0 },
      { extra: 1 },
    ]) {
      expect(ZUpdateWorkerRequest.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(await row()).toEqual(before);
  });

  it("another provider's worker, or no worker, is 404 and unchanged", async () => {
    const before = await row();
    await expect(updateWorker({ orgId: other, nodeId, request: { paused: true, name: "mine now" } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(updateWorker({ orgId: provider, nodeId: "not-a-node", request: { paused: true } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(updateWorker({ orgId: provider, nodeId: randomUUID(), request: { paused: true } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await row()).toEqual(before);
    expect(await placeable()).toBe(true);
  });
});

async function worker(name: string) {
  const keys = generateNodeKeyPair();
  const node = await db.t.prisma.node.create({
    data: {
      orgId: provider,
      name,
      publicKey: keys.publicKey,
      region: "local",
      models: [MODEL],
      claimedCuPerHour: 3600,
      cuPerHour: 3600,
      status: "online",
      lastSeenAt: new Date(),
    },
    select: { id: true },
  });
  await sqlTransaction((tx) => ensureNodeAccounts(tx, { id: node.id, orgId: provider }));
  return { id: node.id, privateKey: keys.privateKey };
}

/** A heartbeat-shaped request signed with the node's key, as the worker daemon sends it. */
function signed(node: { id: string; privateKey: string }) {
  const body = new TextEncoder().encode("{}");
  const path = "/api/node/heartbeat";
  const headers = new Headers(signRequest({ nodeId: node.id, privateKey: node.privateKey, method: "POST", path, body }));
  return authenticateNode({ headers, method: "POST", path, body });
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof AppError ? e.code : String(e)),
  );

describe("removing a worker", () => {
  it("is refused while it holds stake or a job in flight, saying which; nothing changes", async () => {
    const w = await worker("staked");
    await stakeNode({ orgId: provider, nodeId: w.id, amount: 5_000_000n });
    const err = await removeWorker({ orgId: provider, nodeId: w.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("CONFLICT");
    expect((err as AppError).message).toMatch(/5 tokens bonded \(unbond them first\)/);

    const busy = await worker("busy");
    await sql().$executeRaw`
      INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, attempt, lease_expires_at)
      VALUES (gen_random_uuid(), ${other}::uuid, ${MODEL}, 1, 0, ${"c".repeat(64)}, 1, 'running', ${busy.id}::uuid, 1, now() + interval '1 minute')`;
    expect(((await removeWorker({ orgId: provider, nodeId: busy.id }).catch((e: Error) => e)) as Error).message).toMatch(
      /1 job\(s\) in flight/,
    );
    for (const n of [w, busy]) {
      expect(await code(signed(n))).toBe("ok");
      expect((await listNodes({ orgId: provider })).some((x) => x.id === n.id)).toBe(true);
    }
  });

  it("once it holds nothing: its key stops working, it leaves the lists and placement, and it cannot be removed twice", async () => {
    const w = await worker("retiring");
    expect(await code(signed(w))).toBe("ok");
    expect((await loadNetwork(sql())).some((n) => n.id === w.id)).toBe(true);
    // Another organisation cannot remove it: a 404, as for a missing node.
    expect(await code(removeWorker({ orgId: other, nodeId: w.id }))).toBe("NOT_FOUND");

    const res = await removeWorker({ orgId: provider, nodeId: w.id });
    expect(res.nodeId).toBe(w.id);
    expect(await code(signed(w))).toBe("UNAUTHORIZED");
    expect((await listNodes({ orgId: provider })).some((n) => n.id === w.id)).toBe(false);
    expect(await code(getWorker({ orgId: provider, nodeId: w.id }))).toBe("NOT_FOUND");
    expect((await loadNetwork(sql())).some((n) => n.id === w.id)).toBe(false);
    expect(await code(removeWorker({ orgId: provider, nodeId: w.id }))).toBe("NOT_FOUND");
    expect(await code(removeWorker({ orgId: provider, nodeId: "not-a-node" }))).toBe("NOT_FOUND");
    // The row is kept for the jobs and cases that point at it.
    expect(await db.t.prisma.node.count({ where: { id: w.id } })).toBe(1);
    // Nor can it be changed or staked any more.
    expect(await code(updateWorker({ orgId: provider, nodeId: w.id, request: { paused: false } }))).toBe("NOT_FOUND");
    expect(await code(stakeNode({ orgId: provider, nodeId: w.id, amount: 1_000_000n }))).toBe("NOT_FOUND");
  });
});
