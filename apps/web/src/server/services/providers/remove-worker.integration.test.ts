import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closePgPool, sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { createTestDatabase } from "@proofgrid/db/testing/create-test-database";
import { generateNodeKeyPair, signRequest } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { loadNetwork } from "../dispatch/network.ts";
import { authenticateNode } from "../nodes/authenticate-node.ts";
import { listNodes } from "../nodes/list-nodes.ts";
import { ensureNodeAccounts, stakeNode } from "../verification/stake.ts";
import { getWorker } from "./get-worker.ts";
import { removeWorker } from "./remove-worker.ts";

// A provider retires a worker: refused, saying why, while it holds stake or jobs in flight;
// once free, its key stops working at once, it leaves the lists and placement, and a second
// removal or another organisation's attempt is a 404. Real Postgres, real signed requests.

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let provider: string;
let other: string;
const MODEL = "ab".repeat(32);

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), "proofgrid-remove-worker-"));
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
  await grantCredits({ orgId: provider, amount: 1_000_000_000n, idempotencyKey: "funds", memo: "test" });
});
afterAll(async () => {
  await closePgPool();
  await t?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function worker(name: string) {
  const keys = generateNodeKeyPair();
  const node = await t.prisma.node.create({
    data: { orgId: provider, name, publicKey: keys.publicKey, region: "local", models: [MODEL], claimedCuPerHour: 3600, cuPerHour: 3600, status: "online", lastSeenAt: new Date() },
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

const code = (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (e instanceof AppError ? e.code : String(e)));

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
    expect(((await removeWorker({ orgId: provider, nodeId: busy.id }).catch((e: Error) => e)) as Error).message).toMatch(/1 job\(s\) in flight/);
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
    expect(await t.prisma.node.count({ where: { id: w.id } })).toBe(1);
  });
});
