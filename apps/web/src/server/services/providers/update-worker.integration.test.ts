import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closePgPool, sql } from "@proofgrid/db/sql-client";
import { createTestDatabase } from "@proofgrid/db/testing/create-test-database";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { loadNetwork } from "../dispatch/network.ts";
import { updateWorker, ZUpdateWorkerRequest } from "./update-worker.ts";

// A provider renames, pauses (drains), resumes and prices its worker, against a real
// Postgres and the dispatcher's own view of the network.

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let provider: string;
let other: string;
let nodeId: string;
const MODEL = "ab".repeat(32);

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), "proofgrid-update-worker-"));
  process.env.DATABASE_URL = t.url;
  process.env.PROOFGRID_DATA_DIR = dataDir;
  await t.prisma.model.create({
    data: { id: MODEL, slug: "test-model", name: "test", kind: "tensor", description: "test", signature: {}, baseCostMilliCu: 1 },
  });
  const org = async (slug: string) => {
    const row = await t.prisma.organization.create({ data: { slug, name: slug, kind: "provider" }, select: { id: true } });
    await ensureOrgAccounts(sql(), row.id);
    return row.id;
  };
  provider = await org("provider");
  other = await org("other");
  const node = await t.prisma.node.create({
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
afterAll(async () => {
  await closePgPool();
  await t?.drop();
  rmSync(dataDir, { recursive: true, force: true });
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
