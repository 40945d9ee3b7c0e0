import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../testing/create-test-database.ts";
import { createProviderNodeDatabase } from "../testing/provider-node-database.ts";
import { countActiveLicences, insertCheckerLicence, loadLicenceOrg, lockLicenceGrants, revokeActiveLicence } from "./checker-licences.ts";
import { lockNodeStanding, updateNodeStanding } from "./node-standing.ts";
import { insertNodeVerdict, loadRecentVerdicts } from "./node-verdicts.ts";
import { countProviderFrauds } from "./provider-frauds.ts";
import { listProviderRecordRows } from "./provider-records.ts";

// The standing queries against a real Postgres: what the services' integration tests reach
// only through the portal and the explorer (licences, provider records) or a whole market.

let t: TestDatabase;
let provider: string;
let nodeId: string;

beforeAll(async () => {
  ({ t, provider, nodeId } = await createProviderNodeDatabase());
  // A customer: no nodes, so not in the provider records.
  await t.prisma.organization.create({ data: { slug: "c", name: "c" } });
});
afterAll(async () => {
  await t?.drop();
});

describe("checker licences", () => {
  it("grants under the lock, counts the active ones and revokes an active one once", async () => {
    const granted = await t.prisma.$transaction(async (tx) => {
      await lockLicenceGrants(tx);
      const org = await loadLicenceOrg(tx, { orgSlug: "p" });
      expect(org).toEqual({ id: provider, kind: "provider" });
      expect(await loadLicenceOrg(tx, { orgSlug: "nobody" })).toBeUndefined();
      expect(await countActiveLicences(tx)).toBe(0);
      return insertCheckerLicence(tx, { orgId: provider, note: null });
    });
    expect(granted).toMatch(/^[0-9a-f-]{36}$/);
    expect(await countActiveLicences(t.prisma)).toBe(1);
    expect(await revokeActiveLicence(t.prisma, { licenceId: granted as string })).toBe(true);
    expect(await revokeActiveLicence(t.prisma, { licenceId: granted as string })).toBe(false);
    expect(await countActiveLicences(t.prisma)).toBe(0);
  });
});

describe("node verdicts and standing", () => {
  it("records a verdict once, lists the conclusive ones newest first, and writes the standing", async () => {
    const checkId = randomUUID();
    const verdict = { nodeId, checkId, role: "worker" as const, verdict: "fail" as const, reason: "x".repeat(300) };
    expect(await insertNodeVerdict(t.prisma, verdict)).toBe(true);
    expect(await insertNodeVerdict(t.prisma, verdict)).toBe(false);
    await insertNodeVerdict(t.prisma, { ...verdict, checkId: randomUUID(), verdict: "inconclusive" });
    await insertNodeVerdict(t.prisma, { ...verdict, checkId: randomUUID(), verdict: "pass" });
    expect(await loadRecentVerdicts(t.prisma, { nodeId, limit: 10 })).toEqual(["pass", "fail"]);
    expect(await loadRecentVerdicts(t.prisma, { nodeId, limit: 1 })).toEqual(["pass"]);

    await t.prisma.$transaction(async (tx) => {
      const before = await lockNodeStanding<{ events: number }>(tx, { nodeId });
      expect(before).toEqual({ reputation: null, status: "offline", quarantine_reason: null });
      await updateNodeStanding(tx, {
        nodeId,
        reputation: { events: 1 },
        reputationScore: 0.5,
        priorityFactor: 0.25,
        status: "quarantined",
        quarantineReason: "failed checks",
      });
    });
    expect(await lockNodeStanding<{ events: number }>(t.prisma, { nodeId })).toEqual({
      reputation: { events: 1 },
      status: "quarantined",
      quarantine_reason: "failed checks",
    });
    expect(await lockNodeStanding(t.prisma, { nodeId: randomUUID() })).toBeUndefined();
  });
});

describe("provider records", () => {
  it("lists providers with nodes only, and one when asked", async () => {
    const rows = await listProviderRecordRows(t.prisma, { limit: 10, providerId: null });
    expect(rows).toEqual([{ id: provider, nodes: 1, online: 0, frauds: 0, slashed: 0n, refunded: 0n, last_fraud: null }]);
    expect(await listProviderRecordRows(t.prisma, { limit: 10, providerId: randomUUID() })).toEqual([]);
    expect(await countProviderFrauds(t.prisma, { orgIds: [provider] })).toEqual(new Map());
  });
});
