import { checkLedger, getBalances, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { slashAmountFor } from "./slash.ts";
import { ensureNodeAccounts, nodeStakeCode, nodeUnbondingCode, releaseDueUnbonds, requestUnbond, stakeNode, stakeStatus } from "./stake.ts";

// Stakes and unbonding against a real Postgres: every move is a balanced ledger transfer, a
// retried request moves tokens once, and a stake comes from released earnings first.
// (Slashes, clawbacks and refunds: economics.integration.test.ts.)

let provider: string;
let other: string;

let nodeId: string;
const TOKENS = 1_000_000n;

const db = setupServiceDatabase({ name: "stake", env: { POR_UNBONDING_MS: "0" } });

beforeAll(async () => {
  provider = await createOrg("provider", "provider");
  other = await createOrg("other", "provider");

  await grantCredits({ orgId: provider, amount: 5_000n * TOKENS, idempotencyKey: "funds", memo: "test" });
  const node = await db.t.prisma.node.create({
    data: { orgId: provider, name: "n", publicKey: "k".repeat(43), region: "local", models: [], claimedCuPerHour: 3600, cuPerHour: 3600 },
    select: { id: true },
  });
  nodeId = node.id;
  await sqlTransaction((tx) => ensureNodeAccounts(tx, { id: nodeId, orgId: provider }));
});

const balance = async (code: string) => (await getBalances(sql(), [code])).get(code) ?? 0n;

describe("stakes", () => {
  it("bonds from the provider's tokens once per idempotency key, and counts toward a checker's minimum", async () => {
    const before = await stakeStatus(sql(), nodeId, 3600);
    expect(before.sufficient).toBe(false);
    const first = await stakeNode({ orgId: provider, nodeId, amount: before.required, idempotencyKey: "k1" });
    const again = await stakeNode({ orgId: provider, nodeId, amount: before.required, idempotencyKey: "k1" });
    expect(again.transferId).toBe(first.transferId);
    expect(await balance(nodeStakeCode(nodeId))).toBe(before.required);
    expect((await stakeStatus(sql(), nodeId, 3600)).sufficient).toBe(true);
  });

  it("needs no idempotency key: the server makes one (each call then stakes again)", async () => {
    const bonded = await balance(nodeStakeCode(nodeId));
    const a = await stakeNode({ orgId: provider, nodeId, amount: TOKENS });
    const b = await stakeNode({ orgId: provider, nodeId, amount: TOKENS });
    expect(a.created && b.created).toBe(true);
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    expect(await balance(nodeStakeCode(nodeId))).toBe(bonded + 2n * TOKENS);
  });

  it("moves released earnings to stake first, then credits; `earnings` takes only earnings", async () => {
    // Released earnings, as the release loop pays them (a transfer to the earnings account).
    await sqlTransaction((tx) =>
      postTransfer(tx, {
        idempotencyKey: "earned",
        kind: "grant",
        legs: [
          { code: "treasury", amount: -3n * TOKENS },
          { code: orgAccountCode(provider, "earnings"), amount: 3n * TOKENS },
        ],
      }),
    );
    const available = await balance(orgAccountCode(provider, "available"));
    const bonded = await balance(nodeStakeCode(nodeId));
    const res = await stakeNode({ orgId: provider, nodeId, amount: 5n * TOKENS, idempotencyKey: "mix" });
    expect(res).toMatchObject({ fromEarnings: (3n * TOKENS).toString(), fromAvailable: (2n * TOKENS).toString() });
    expect(await balance(orgAccountCode(provider, "earnings"))).toBe(0n);
    expect(await balance(orgAccountCode(provider, "available"))).toBe(available - 2n * TOKENS);
    expect(await balance(nodeStakeCode(nodeId))).toBe(bonded + 5n * TOKENS);
    await expect(stakeNode({ orgId: provider, nodeId, amount: 1n, source: "earnings" })).rejects.toMatchObject({
      code: "INSUFFICIENT_CREDITS",
    });
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("refuses another provider's node, a stake beyond the balance, and bad amounts — changing nothing", async () => {
    const snapshot = await balance(nodeStakeCode(nodeId));
    await expect(stakeNode({ orgId: other, nodeId, amount: TOKENS, idempotencyKey: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(stakeNode({ orgId: provider, nodeId: "not-a-uuid", amount: TOKENS })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(stakeNode({ orgId: provider, nodeId, amount: 10n ** 14n, idempotencyKey: "big" })).rejects.toMatchObject({
      code: "INSUFFICIENT_CREDITS",
    });
    await expect(stakeNode({ orgId: provider, nodeId, amount: 0n, idempotencyKey: "zero" })).rejects.toBeInstanceOf(AppError);
    await expect(requestUnbond({ orgId: provider, nodeId, amount: snapshot + 1n, idempotencyKey: "over" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await balance(nodeStakeCode(nodeId))).toBe(snapshot);
  });

  it("unbonds: the tokens stop counting at once, stay slashable, and are paid back after the period", async () => {
    const bonded = await balance(nodeStakeCode(nodeId));
    const availableBefore = await balance(orgAccountCode(provider, "available"));
    await requestUnbond({ orgId: provider, nodeId, amount: 10n * TOKENS, idempotencyKey: "u1" });
    expect(await balance(nodeStakeCode(nodeId))).toBe(bonded - 10n * TOKENS);
    expect(await balance(nodeUnbondingCode(nodeId))).toBe(10n * TOKENS);
    expect(await releaseDueUnbonds()).toBe(1);
    expect(await releaseDueUnbonds()).toBe(0); // paid once
    expect(await balance(nodeUnbondingCode(nodeId))).toBe(0n);
    expect(await balance(orgAccountCode(provider, "available"))).toBe(availableBefore + 10n * TOKENS);
  });

  it("scopes a key to its node: the same key stakes another node, and an unbond retry answers the stored release time", async () => {
    const second = await db.t.prisma.node.create({
      data: {
        orgId: provider,
        name: "n2",
        publicKey: "m".repeat(43),
        region: "local",
        models: [],
        claimedCuPerHour: 3600,
        cuPerHour: 3600,
      },
      select: { id: true },
    });
    await sqlTransaction((tx) => ensureNodeAccounts(tx, { id: second.id, orgId: provider }));
    const onFirst = await stakeNode({ orgId: provider, nodeId, amount: 3n, idempotencyKey: "shared" });
    const onSecond = await stakeNode({ orgId: provider, nodeId: second.id, amount: 3n, idempotencyKey: "shared" });
    expect(onFirst.created).toBe(true);
    expect(onSecond.created).toBe(true);
    expect(await balance(nodeStakeCode(second.id))).toBe(3n);
    const unbond = await requestUnbond({ orgId: provider, nodeId: second.id, amount: 1n, idempotencyKey: "u-shared" });
    await new Promise((r) => setTimeout(r, 15));
    const retry = await requestUnbond({ orgId: provider, nodeId: second.id, amount: 1n, idempotencyKey: "u-shared" });
    expect(retry).toEqual(unbond);
    expect(await balance(nodeUnbondingCode(second.id))).toBe(1n);
  });

  it("sizes the slash so that cheating at the re-execution floor loses money", async () => {
    const { expectedCheatingGain, splitReward } = await import("@proofgrid/por");
    for (const price of [1n, 999n, 20_000n, 5_000_000n]) {
      const g = Number(splitReward(price).worker);
      const S = Number(slashAmountFor(price));
      for (const f of [0.01, 0.1, 1]) expect(expectedCheatingGain({ gain: g, p: 0.02, f, slash: S })).toBeLessThanOrEqual(0);
    }
  });
});
