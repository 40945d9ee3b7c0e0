import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAccounts, orgAccount } from "../ledger/accounts.ts";
import type { TestDatabase } from "../testing/create-test-database.ts";
import { createProviderNodeDatabase } from "../testing/provider-node-database.ts";
import { countHeldEarningsByState, loadHeldEarningsReleases } from "./held-earnings.ts";
import { loadLeaseStanding, loadNodeExposureRows } from "./node-exposures.ts";
import { isNodeOwnedBy, lockProviderNode } from "./provider-nodes.ts";
import { loadStakePanelBalances } from "./stake-balances.ts";
import {
  insertUnbondRequest,
  loadDueUnbonds,
  loadOpenUnbondRequests,
  loadUnbondReleaseAt,
  lockUnbondRequest,
  markUnbondReleased,
} from "./unbond-requests.ts";

// The stake queries against a real Postgres, for what the services' integration tests do not
// reach: a node's stake panel with nothing held or unbonding, another provider's node, and a
// node with no ledger accounts yet. (Stakes moving: apps/web stake.integration.test.ts.)

let t: TestDatabase;
let provider: string;
let other: string;
let nodeId: string;

beforeAll(async () => {
  ({ t, provider, nodeId } = await createProviderNodeDatabase());
  other = (await t.prisma.organization.create({ data: { slug: "o", name: "o", kind: "provider" }, select: { id: true } })).id;
});
afterAll(async () => {
  await t?.drop();
});

describe("stakes", () => {
  it("finds a node for its owner only", async () => {
    expect(await isNodeOwnedBy(t.prisma, { nodeId, orgId: provider })).toBe(true);
    expect(await isNodeOwnedBy(t.prisma, { nodeId, orgId: other })).toBe(false);
    expect(await t.prisma.$transaction((tx) => lockProviderNode(tx, { nodeId }))).toEqual({ id: nodeId, org_id: provider });
    expect(await lockProviderNode(t.prisma, { nodeId: randomUUID() })).toBeUndefined();
  });

  it("reads a node with nothing held: one totals row, no payout", async () => {
    expect(await loadHeldEarningsReleases(t.prisma, { nodeId, limit: 20 })).toEqual([
      { job_id: null, amount: null, release_at: null, n: 0, total: 0n, last_release: null },
    ]);
    expect(await countHeldEarningsByState(t.prisma, { nodeId })).toEqual([]);
  });

  it("reads the exposure of a node without ledger accounts as nulls and zeros", async () => {
    expect(await loadNodeExposureRows(t.prisma, { orgIds: [] })).toEqual([]);
    expect(await loadNodeExposureRows(t.prisma, { orgIds: [provider], nodeIds: [nodeId] })).toEqual([
      {
        id: nodeId,
        org_id: provider,
        bonded: null,
        unbonding: null,
        in_flight: 0n,
        held: 0n,
        held_earnings: null,
        passed: 0,
        dispute: false,
      },
    ]);
  });

  it("reads a lease's standing in one statement, as the exposure rows read it, and whether a job is offered", async () => {
    expect(await loadLeaseStanding(t.prisma, { id: nodeId, orgId: other })).toBeNull();
    expect(await loadLeaseStanding(t.prisma, { id: randomUUID(), orgId: provider })).toBeNull();
    expect(await loadLeaseStanding(t.prisma, { id: nodeId, orgId: provider })).toEqual({
      bonded: null,
      in_flight: 0n,
      held: 0n,
      dispute: false,
      frauds: 0,
      offered: false,
    });
    const model = "e".repeat(64);
    await t.pool.query(
      `INSERT INTO models (id, slug, name, kind, description, signature, base_cost_milli_cu)
      VALUES ($1, 'lease-standing-model', 'm', 'embedding', '', '{}', 1) ON CONFLICT DO NOTHING`,
      [model],
    );
    const job = randomUUID();
    await t.pool.query(
      `INSERT INTO jobs (id, org_id, model_id, state, node_id, cost_milli_cu, price, input_hash, input_bytes, unit_price)
      VALUES ($1, $2, $3, 'assigned', $4, 1500, 700, 'h', 1, 300)`,
      [job, other, model, nodeId],
    );
    const offered = await loadLeaseStanding(t.prisma, { id: nodeId, orgId: provider });
    const [row] = await loadNodeExposureRows(t.prisma, { orgIds: [provider], nodeIds: [nodeId] });
    // 1.5 CU at 300 per CU, rounded up: 450, below the 700 held.
    expect(offered).toMatchObject({ in_flight: 450n, offered: true });
    expect(offered?.in_flight).toBe(row?.in_flight);
    // Claimed: still in flight, no longer offered.
    await t.pool.query(`UPDATE jobs SET state = 'running' WHERE id = $1`, [job]);
    expect(await loadLeaseStanding(t.prisma, { id: nodeId, orgId: provider })).toMatchObject({ in_flight: 450n, offered: false });
    await t.pool.query(`DELETE FROM jobs WHERE id = $1`, [job]);
  });

  it("lists the stake panel's balances that exist, and a node's unbond requests until released", async () => {
    await ensureAccounts(t.prisma, [orgAccount(provider, "available")]);
    expect(await loadStakePanelBalances(t.prisma, { orgId: provider, nodeId })).toEqual([
      { code: `org:${provider}:available`, balance: 0n },
    ]);

    const id = randomUUID();
    const releaseAt = new Date(Date.now() - 1000);
    await insertUnbondRequest(t.prisma, { id, nodeId, amount: 5n, releaseAt });
    expect(await loadUnbondReleaseAt(t.prisma, { id })).toEqual(releaseAt);
    expect(await loadOpenUnbondRequests(t.prisma, { nodeId })).toEqual([{ amount: 5n, release_at: releaseAt }]);
    expect(await loadDueUnbonds(t.prisma, { limit: 10 })).toEqual([{ id, node_id: nodeId, amount: 5n, org_id: provider }]);
    await t.prisma.$transaction(async (tx) => {
      expect(await lockUnbondRequest(tx, { id })).toEqual({ released_at: null });
      await markUnbondReleased(tx, { id });
    });
    expect(await loadDueUnbonds(t.prisma, { limit: 10 })).toEqual([]);
    expect(await loadOpenUnbondRequests(t.prisma, { nodeId })).toEqual([]);
  });
});
