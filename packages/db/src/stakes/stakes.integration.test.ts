import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAccounts, orgAccount } from "../ledger/accounts.ts";
import type { TestDatabase } from "../testing/create-test-database.ts";
import { createProviderNodeDatabase } from "../testing/provider-node-database.ts";
import { countHeldEarningsByState, loadHeldEarningsReleases } from "./held-earnings.ts";
import { loadNodeExposureRows } from "./node-exposures.ts";
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
