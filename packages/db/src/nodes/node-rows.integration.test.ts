import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDiagnosedNode } from "../market/diagnosed-node.ts";
import { loadOrgRegion, loadOrgsWithQueuedJobs } from "../market/quote-context.ts";
import { loadPlaceableWorkers } from "../network/placeable-workers.ts";
import { loadQueuedJobs } from "../network/queued-jobs.ts";
import { SqlClient } from "../sql-client.ts";
import { createTestDatabase } from "../testing/create-test-database.ts";
import { loadNodeIdentity, recordNonceAndLoadIdentity } from "./node-identity.ts";
import { insertNodeNonce, purgeNodeNonces } from "./node-nonces.ts";
import { markNodeSeen, markSilentNodesOffline, recordNodeGoodbye } from "./node-presence.ts";
import { bindCheckerLicence, lockRegistrationToken } from "./node-registration.ts";
import { findOrgNodeRole, loadWorkerSettings, updateOrgNodeAskPrice } from "./worker-settings.ts";

// The node rows on the pg client the services use (`sql()`): int8 columns such as
// ask_price_per_cu arrive as decimal strings there, which NodeRow's type says; and the
// presence, nonce and registration statements a node's life runs through.

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let db: SqlClient;
let orgId: string;
let nodeId: string;
const MODEL = "b".repeat(64);

beforeAll(async () => {
  t = await createTestDatabase();
  db = new SqlClient(t.pool);
  orgId = (await t.prisma.organization.create({ data: { slug: "p", name: "p", region: "eu-central" }, select: { id: true } })).id;
  await t.prisma.model.create({
    data: { id: MODEL, slug: "m", name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
  });
  const node = await t.prisma.node.create({
    data: { orgId, name: "w", publicKey: "key-w", region: "local", models: [MODEL], status: "online", askPricePerCu: 1_000_000_000_000n },
    select: { id: true },
  });
  nodeId = node.id;
});
afterAll(async () => {
  await t?.drop();
});

describe("node rows", () => {
  it("read a node's identity, settings and ask (int8 as a decimal string on pg) and its place in the network", async () => {
    expect(await loadNodeIdentity(db, { nodeId })).toMatchObject({ id: nodeId, orgId, role: "worker", status: "online", models: [MODEL] });
    expect(await findOrgNodeRole(db, { orgId, nodeId })).toBe("worker");
    expect(await findOrgNodeRole(db, { orgId: nodeId, nodeId })).toBeNull();
    expect(await loadWorkerSettings(db, { nodeId })).toEqual({ name: "w", paused_at: null, ask_price_per_cu: "1000000000000" });
    const [worker] = await loadPlaceableWorkers(db);
    expect(worker).toMatchObject({ id: nodeId, ask_price_per_cu: "1000000000000", open: 0, reserved_for: null });
    expect(BigInt(worker?.stake ?? -1)).toBe(0n);
    await updateOrgNodeAskPrice(db, { orgId, nodeId, askPerCuBaseUnits: null });
    expect((await loadDiagnosedNode(db, { orgId, nodeId }))?.ask_price_per_cu).toBeNull();
  });

  it("see queued jobs per organisation with the organisation's region and share", async () => {
    await t.prisma.job.create({
      data: { orgId, modelId: MODEL, costMilliCu: 1, price: 1n, inputHash: "h", inputBytes: 1, maxPricePerCu: 7n },
    });
    expect(await loadQueuedJobs(db, { perOrg: 4 })).toMatchObject([
      { org_id: orgId, org_region: "eu-central", declined: [], share_weight: 1, max_concurrent_jobs: null, org_open: 0 },
    ]);
    expect(await loadOrgsWithQueuedJobs(db, { orgIds: [orgId] })).toEqual([orgId]);
    expect(await loadOrgRegion(db, { orgId })).toBe("eu-central");
  });

  it("refuse a nonce twice, and forget old ones", async () => {
    expect(await insertNodeNonce(db, { nodeId, nonce: "n1" })).toBe(true);
    expect(await insertNodeNonce(db, { nodeId, nonce: "n1" })).toBe(false);
    expect(await purgeNodeNonces(db, { olderThanMs: 60_000 })).toBe(0);
    expect(await purgeNodeNonces(db, { olderThanMs: -60_000 })).toBe(1);
  });

  it("record a nonce and read the identity in one statement: fresh once, a replay after, nothing for an unknown or removed node", async () => {
    expect(await recordNonceAndLoadIdentity(db, { nodeId, nonce: "one-trip" })).toMatchObject({
      id: nodeId,
      orgId,
      role: "worker",
      fresh: true,
    });
    expect(await recordNonceAndLoadIdentity(db, { nodeId, nonce: "one-trip" })).toMatchObject({ id: nodeId, fresh: false });
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await recordNonceAndLoadIdentity(db, { nodeId: unknown, nonce: "x" })).toBeNull();
    const gone = await t.prisma.node.create({
      data: { orgId, name: "gone", publicKey: "key-gone", region: "local", models: [MODEL], removedAt: new Date() },
      select: { id: true },
    });
    expect(await recordNonceAndLoadIdentity(db, { nodeId: gone.id, nonce: "x" })).toBeNull();
    // Nothing was written for the unknown or removed node.
    expect(await t.prisma.nodeNonce.count({ where: { nodeId: { in: [unknown, gone.id] } } })).toBe(0);
    await purgeNodeNonces(db, { olderThanMs: -60_000 });
  });

  it("go offline on goodbye or silence with one outage, and back online when heard from", async () => {
    expect(await recordNodeGoodbye(db, { nodeId })).toEqual({ went_offline: true, offers: 0 });
    expect(await recordNodeGoodbye(db, { nodeId })).toEqual({ went_offline: false, offers: 0 });
    await markNodeSeen(db, { nodeId });
    expect((await loadNodeIdentity(db, { nodeId }))?.status).toBe("online");
    expect(await markSilentNodesOffline(db, { silenceMs: 60_000 })).toBe(0);
    expect(await markSilentNodesOffline(db, { silenceMs: -60_000 })).toBe(1);
    const outages = await t.prisma.nodeOutage.findMany({ where: { nodeId }, select: { endedAt: true } });
    expect(outages.map((o) => o.endedAt === null).sort()).toEqual([false, true]);
  });

  it("spend a registration token under a lock and bind a checker licence once", async () => {
    await t.prisma.registrationToken.create({
      data: { orgId, tokenHash: "th", role: "checker", expiresAt: new Date(Date.now() + 60_000) },
    });
    expect(await lockRegistrationToken(db, { tokenHash: "th" })).toMatchObject({ org_id: orgId, role: "checker", used_at: null });
    expect(await lockRegistrationToken(db, { tokenHash: "nope" })).toBeNull();
    const checker = await t.prisma.node.create({ data: { orgId, name: "c", role: "checker", publicKey: "key-c", region: "local" } });
    expect(await bindCheckerLicence(db, { nodeId: checker.id, orgId })).toBe(0);
    await t.prisma.checkerLicence.create({ data: { orgId } });
    expect(await bindCheckerLicence(db, { nodeId: checker.id, orgId })).toBe(1);
  });
});
