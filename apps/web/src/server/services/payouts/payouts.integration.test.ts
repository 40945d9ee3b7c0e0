import { checkLedger, getBalances, orgAccountCode, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { getAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../../../../../../tests/support/chain.ts";
import { fundEarnings, newWallet, setPayoutAddress, withdrawalRow } from "../../../../../../tests/support/payouts.ts";
import { AppError } from "../../errors.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { createPayoutAddressChallenge, getPayoutAddress, verifyPayoutAddress } from "./payout-address.ts";
import { checkPayouts } from "./check-payouts.ts";
import { createPayoutLoop } from "./payout-loop.ts";
import { getWithdrawal, parseBaseUnits, quoteWithdrawal, requestWithdrawal } from "./withdrawals.ts";
import { resetEnvCache } from "../../env.ts";

// Payouts against a real Postgres and a real local chain (Hardhat's node), the payout loop
// ticked in this process. What a provider relies on: the tokens arrive on chain once, a
// transfer that cannot or did not happen gives the tokens back, and bad input changes nothing.
// (The coordinator process killed with -9, and the chain node restarted under a running
// coordinator, are tests/e2e/payouts.test.ts.)

const TOKEN = 1_000_000n;
let chain: TestChain;
let provider: string;
let other: string;
const loop = createPayoutLoop();

function useChainEnv(overrides: Record<string, string> = {}) {
  Object.assign(
    process.env,
    chain.env(),
    { PAYOUT_CONFIRMATIONS: "2", PAYOUT_REBROADCAST_MS: "500", PAYOUT_NONCE_TAKEN_GRACE_MS: "0" },
    overrides,
  );
  resetEnvCache();
}

const earnings = async (orgId: string) =>
  (await getBalances(sql(), [orgAccountCode(orgId, "earnings")])).get(orgAccountCode(orgId, "earnings")) ?? 0n;
const system = async () => {
  const codes = [SYSTEM_ACCOUNTS.withdrawalsPending.code, SYSTEM_ACCOUNTS.withdrawalsPaid.code, SYSTEM_ACCOUNTS.protocolFee.code];
  const b = await getBalances(sql(), codes);
  return { pending: b.get(codes[0] as string) ?? 0n, paid: b.get(codes[1] as string) ?? 0n, fee: b.get(codes[2] as string) ?? 0n };
};

/** Ticks the loop until the withdrawal is final (bounded). */
async function payUntilFinal(id: string, timeoutMs = 30_000): Promise<NonNullable<Awaited<ReturnType<typeof withdrawalRow>>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await loop.tick();
    const row = await withdrawalRow(id);
    if (row && (row.state === "paid" || row.state === "failed")) return row;
    if (Date.now() > deadline) throw new Error(`withdrawal ${id} still ${row?.state} (${row?.last_error ?? ""})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function expectRefused(p: Promise<unknown>, code: string, message?: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "expected a refusal").toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  if (message) expect((err as AppError).message).toMatch(message);
}

setupServiceDatabase({ name: "payouts" });

beforeAll(async () => {
  chain = await startTestChain({ blockMs: 200 });
  useChainEnv();
  provider = await createOrg("gpu-provider", "provider");
  other = await createOrg("other-provider", "provider");
  await fundEarnings(provider, 1_000n * TOKEN, "provider");
  await fundEarnings(other, 1_000n * TOKEN, "other");
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

describe("payout address", () => {
  it("is set only by a signature of the server's message by that address's key", async () => {
    const wallet = newWallet();
    const c = await createPayoutAddressChallenge({ orgId: provider, address: wallet.address.toLowerCase() });
    expect(c.address).toBe(wallet.address); // checksummed
    expect(c.message).toContain(`Organisation: ${provider}`);
    expect(c.message).toContain(`Chain ID: ${chain.chain.chainId}`);
    expect(c.message).toMatch(/Nonce: [0-9a-f]{32}/);
    expect(c.message).toContain(`Expires: ${c.expiresAt.toISOString()}`);
    const signature = await wallet.signMessage({ message: c.message });
    const r = await verifyPayoutAddress({ orgId: provider, userId: null, challengeId: c.challengeId, signature });
    expect(r.address).toBe(wallet.address);
    expect((await getPayoutAddress({ orgId: provider }))?.address).toBe(wallet.address);
    // The same signature again: the challenge is used up.
    await expectRefused(
      verifyPayoutAddress({ orgId: provider, userId: null, challengeId: c.challengeId, signature }),
      "CONFLICT",
      /already used/,
    );
  });

  it("refuses what is not an address, a wrong checksum, a signer that is not the address, an expired or another organisation's challenge — and changes nothing", async () => {
    const before = await getPayoutAddress({ orgId: provider });
    for (const bad of ["", "hello", "0x123", `0x${"g".repeat(40)}`, 42, null, `${newWallet().address}00`]) {
      await expectRefused(createPayoutAddressChallenge({ orgId: provider, address: bad }), "BAD_REQUEST", /40 hexadecimal/);
    }
    // One letter's case flipped: a typo EIP-55 catches.
    const good = newWallet().address;
    const i = [...good].findIndex((ch, k) => k > 1 && /[a-fA-F]/.test(ch));
    const flipped =
      good.slice(0, i) + (good[i] === good[i]?.toUpperCase() ? good[i]?.toLowerCase() : good[i]?.toUpperCase()) + good.slice(i + 1);
    await expectRefused(createPayoutAddressChallenge({ orgId: provider, address: flipped }), "BAD_REQUEST", /checksum/);
    await expectRefused(
      createPayoutAddressChallenge({ orgId: provider, address: "0x0000000000000000000000000000000000000000" }),
      "BAD_REQUEST",
      /zero address/,
    );

    // Signed by another key than the address's.
    const victim = newWallet();
    const attacker = newWallet();
    const c = await createPayoutAddressChallenge({ orgId: provider, address: victim.address });
    const forged = await attacker.signMessage({ message: c.message });
    await expectRefused(
      verifyPayoutAddress({ orgId: provider, userId: null, challengeId: c.challengeId, signature: forged }),
      "BAD_REQUEST",
      new RegExp(`made by ${attacker.address}`),
    );
    // The right key but another message (an old challenge's text).
    const otherMessage = await victim.signMessage({ message: c.message.replace(/Nonce: \w+/, "Nonce: 00") });
    await expectRefused(
      verifyPayoutAddress({ orgId: provider, userId: null, challengeId: c.challengeId, signature: otherMessage }),
      "BAD_REQUEST",
    );
    for (const sig of ["", "0x", "0x1234", `0x${"z".repeat(130)}`, 7]) {
      await expectRefused(
        verifyPayoutAddress({ orgId: provider, userId: null, challengeId: c.challengeId, signature: sig }),
        "BAD_REQUEST",
        /130 hexadecimal/,
      );
    }
    // Another organisation cannot use (or even see) this challenge, even with a valid signature.
    const valid = await victim.signMessage({ message: c.message });
    await expectRefused(verifyPayoutAddress({ orgId: other, userId: null, challengeId: c.challengeId, signature: valid }), "NOT_FOUND");
    await expectRefused(verifyPayoutAddress({ orgId: provider, userId: null, challengeId: "not-a-uuid", signature: valid }), "NOT_FOUND");
    // Expired: the same valid signature, after its expiry.
    await sql()
      .$executeRaw`UPDATE payout_address_challenges SET expires_at = now() - interval '1 second' WHERE id = ${c.challengeId}::uuid`;
    await expectRefused(
      verifyPayoutAddress({ orgId: provider, userId: null, challengeId: c.challengeId, signature: valid }),
      "BAD_REQUEST",
      /expired/,
    );

    expect(await getPayoutAddress({ orgId: provider })).toEqual(before);
    expect(await getPayoutAddress({ orgId: other })).toBeNull();
  });
});

describe("withdrawals: bad input changes no balance", () => {
  it("refuses negative, zero, fractional, huge and non-numeric amounts, below the minimum, above the balance, and without an address", async () => {
    for (const v of [
      "-5",
      "0",
      "1.5",
      "12.",
      "abc",
      "1e6",
      "",
      " ",
      "0x10",
      "99999999999999999999999999",
      -1,
      0,
      2.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 60,
      {},
      [],
      null,
      true,
    ]) {
      expect(() => parseBaseUnits(v), String(v)).toThrow(AppError);
    }
    expect(parseBaseUnits("25000000")).toBe(25_000_000n);
    expect(parseBaseUnits(25_000_000)).toBe(25_000_000n);

    await setPayoutAddress(provider, newWallet());
    const before = { provider: await earnings(provider), other: await earnings(other), system: await system() };
    await expectRefused(requestWithdrawal({ orgId: provider, userId: null, amount: 1n }), "BAD_REQUEST", /minimum/);
    await expectRefused(requestWithdrawal({ orgId: provider, userId: null, amount: 9_999_999n }), "BAD_REQUEST", /minimum/);
    await expectRefused(requestWithdrawal({ orgId: provider, userId: null, amount: 10n ** 15n }), "BAD_REQUEST", /largest/);
    await expectRefused(
      requestWithdrawal({ orgId: provider, userId: null, amount: 1_001n * TOKEN }),
      "INSUFFICIENT_CREDITS",
      /exceeds your available earnings \(1000 tokens\)/,
    );
    await expectRefused(requestWithdrawal({ orgId: other, userId: null, amount: 20n * TOKEN }), "CONFLICT", /payout address/);
    // A fee other than the one shown: refused, so nobody pays a fee they did not confirm.
    await expectRefused(requestWithdrawal({ orgId: provider, userId: null, amount: 20n * TOKEN, expectedFee: 0n }), "CONFLICT", /fee/);
    expect({ provider: await earnings(provider), other: await earnings(other), system: await system() }).toEqual(before);
    expect((await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM withdrawals`)[0]?.n).toBe(0);
  });
});

describe("withdrawals on chain", () => {
  it("pays the net amount to the wallet once, N confirmations deep, and settles the ledger", async () => {
    const wallet = newWallet();
    await setPayoutAddress(provider, wallet);
    const quote = await quoteWithdrawal({ orgId: provider, amount: 25n * TOKEN });
    expect(quote).toMatchObject({ amount: "25000000", fee: "100000", net: "24900000", payoutAddress: wallet.address, enabled: true });
    const before = {
      earnings: await earnings(provider),
      system: await system(),
      payoutWallet: await chain.tokenBalance(chain.chain.payoutAddress),
    };

    const { withdrawal, created } = await requestWithdrawal({
      orgId: provider,
      userId: null,
      amount: 25n * TOKEN,
      expectedFee: 100_000n,
      idempotencyKey: "w1",
    });
    expect(created).toBe(true);
    // At once: the earnings are down and the tokens wait in withdrawals_pending.
    expect(await earnings(provider)).toBe(before.earnings - 25n * TOKEN);
    expect((await system()).pending).toBe(before.system.pending + 25n * TOKEN);
    // The same key again: the same withdrawal, nothing moved twice.
    const again = await requestWithdrawal({ orgId: provider, userId: null, amount: 25n * TOKEN, idempotencyKey: "w1" });
    expect(again).toEqual({ withdrawal, created: false });
    await expectRefused(
      requestWithdrawal({ orgId: provider, userId: null, amount: 30n * TOKEN, idempotencyKey: "w1" }),
      "CONFLICT",
      /another amount/,
    );
    expect(await earnings(provider)).toBe(before.earnings - 25n * TOKEN);

    const row = await payUntilFinal(withdrawal.id);
    expect(row.state).toBe("paid");
    // On chain: the wallet holds exactly the net, from one Transfer of the payout wallet.
    expect(await chain.tokenBalance(wallet.address)).toBe(24_900_000n);
    const transfers = (await chain.transfersFrom(chain.chain.payoutAddress)).filter((x) => getAddress(x.to) === wallet.address);
    expect(transfers).toEqual([expect.objectContaining({ value: 24_900_000n, txHash: row.tx_hash })]);
    expect(await chain.tokenBalance(chain.chain.payoutAddress)).toBe(before.payoutWallet - 24_900_000n);
    const receipt = await chain.client.getTransactionReceipt({ hash: row.tx_hash as Hex });
    expect((await chain.client.getBlockNumber()) - receipt.blockNumber + 1n).toBeGreaterThanOrEqual(2n);
    // The ledger: pending back to where it was, net paid out, fee to the protocol.
    expect(await system()).toEqual({
      pending: before.system.pending,
      paid: before.system.paid + 24_900_000n,
      fee: before.system.fee + 100_000n,
    });
    expect(await getWithdrawal({ orgId: provider, id: withdrawal.id })).toMatchObject({
      state: "paid",
      txHash: row.tx_hash,
      net: "24900000",
    });
    // More ticks change nothing.
    for (let i = 0; i < 3; i++) await loop.tick();
    expect((await chain.transfersFrom(chain.chain.payoutAddress)).filter((x) => getAddress(x.to) === wallet.address)).toHaveLength(1);
    expect((await checkLedger(sql())).ok).toBe(true);
    // Another organisation's id: not found, as if it did not exist.
    await expectRefused(getWithdrawal({ orgId: other, id: withdrawal.id }), "NOT_FOUND");
  });

  it("a transfer the payout wallet cannot make (it lacks the tokens) is returned without sending anything", async () => {
    const wallet = newWallet();
    await setPayoutAddress(provider, wallet);
    // A second token whose whole supply sits with the payout wallet, except that this
    // withdrawal asks for more than it holds.
    const token = await chain.deployPausableToken(5n * TOKEN);
    useChainEnv({ TOKEN_ADDRESS: token.address });
    try {
      const before = await earnings(provider);
      const { withdrawal } = await requestWithdrawal({ orgId: provider, userId: null, amount: 20n * TOKEN });
      expect(await earnings(provider)).toBe(before - 20n * TOKEN);
      const row = await payUntilFinal(withdrawal.id);
      expect(row).toMatchObject({ state: "failed", tx_hash: null, nonce: null });
      expect(row.failure_reason).toMatch(/cannot make this transfer/);
      expect(await earnings(provider)).toBe(before);
      expect(await chain.transfersFrom(chain.chain.payoutAddress, token.address)).toEqual([]);
      expect((await checkLedger(sql())).ok).toBe(true);
    } finally {
      useChainEnv();
    }
  });

  it("a transfer that is mined and reverts returns the tokens to the provider", async () => {
    const wallet = newWallet();
    await setPayoutAddress(provider, wallet);
    const token = await chain.deployPausableToken(1_000n * TOKEN);
    useChainEnv({ TOKEN_ADDRESS: token.address });
    try {
      const before = await earnings(provider);
      await chain.setMining("manual");
      const { withdrawal } = await requestWithdrawal({ orgId: provider, userId: null, amount: 15n * TOKEN });
      // Signed and sent while the transfer would still succeed: it waits in the mempool.
      await loop.tick();
      const signed = await withdrawalRow(withdrawal.id);
      expect(signed).toMatchObject({ state: "signed", broadcast_count: 1 });
      // The token's owner pauses it, ahead of the payout in the same block (a higher tip).
      const { walletClientFor } = await import("@proofgrid/chain");
      const owner = walletClientFor({ rpcUrl: chain.chain.rpcUrl, chainId: chain.chain.chainId, privateKey: chain.chain.deployerKey });
      await owner.writeContract({
        address: token.address,
        abi: token.abi,
        functionName: "pause",
        maxPriorityFeePerGas: 50_000_000_000n,
        maxFeePerGas: 100_000_000_000n,
      });
      await chain.chain.rpc("evm_mine");
      const receipt = await chain.client.getTransactionReceipt({ hash: signed?.tx_hash as Hex });
      expect(receipt.status).toBe("reverted");
      await chain.setMining("auto");
      const row = await payUntilFinal(withdrawal.id);
      expect(row.state).toBe("failed");
      expect(row.failure_reason).toMatch(/reverted on chain/);
      expect(await earnings(provider)).toBe(before);
      expect(await chain.tokenBalance(wallet.address, token.address)).toBe(0n);
      expect((await checkLedger(sql())).ok).toBe(true);
    } finally {
      await chain.setMining("auto");
      useChainEnv();
    }
  });

  it("a transaction the chain lost in a restart is sent again and paid once", async () => {
    const wallet = newWallet();
    await setPayoutAddress(provider, wallet);
    await chain.setMining("manual");
    const { withdrawal } = await requestWithdrawal({ orgId: provider, userId: null, amount: 12n * TOKEN });
    await loop.tick();
    const signed = await withdrawalRow(withdrawal.id);
    expect(signed?.state).toBe("signed");
    expect(await chain.client.getTransaction({ hash: signed?.tx_hash as Hex })).toMatchObject({ blockNumber: null });
    // kill -9 of the node: its mempool (with our transfer) is gone; the journal has the rest.
    await chain.restart({ kill: true });
    await expect(chain.client.getTransaction({ hash: signed?.tx_hash as Hex })).rejects.toThrow();
    const row = await payUntilFinal(withdrawal.id);
    expect(row).toMatchObject({ state: "paid", tx_hash: signed?.tx_hash });
    expect(row.broadcast_count).toBeGreaterThanOrEqual(2);
    expect(await chain.tokenBalance(wallet.address)).toBe(11_900_000n);
    expect((await chain.transfersFrom(chain.chain.payoutAddress)).filter((x) => getAddress(x.to) === wallet.address)).toHaveLength(1);
    // The earlier payout survived the restart too (replayed from the journal).
    expect((await chain.transfersFrom(chain.chain.payoutAddress)).length).toBeGreaterThanOrEqual(2);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("a withdrawal whose nonce another transaction of the wallet took is returned", async () => {
    const wallet = newWallet();
    await setPayoutAddress(provider, wallet);
    await chain.setMining("manual");
    const before = await earnings(provider);
    const { withdrawal } = await requestWithdrawal({ orgId: provider, userId: null, amount: 11n * TOKEN });
    await loop.tick();
    const signed = await withdrawalRow(withdrawal.id);
    // Someone with the payout key spends the same nonce first (an operator's own transfer).
    await chain.restart({ kill: true }); // drop ours from the mempool
    const { walletClientFor } = await import("@proofgrid/chain");
    const operator = walletClientFor({
      rpcUrl: chain.chain.rpcUrl,
      chainId: chain.chain.chainId,
      privateKey: chain.chain.payoutPrivateKey,
    });
    await operator.sendTransaction({ to: operator.account.address, value: 1n, nonce: Number(signed?.nonce) });
    await chain.chain.rpc("evm_mine");
    await chain.chain.rpc("evm_mine");
    // The loop must not send ours again first: the operator's took the nonce, so ours can never be mined.
    const row = await payUntilFinal(withdrawal.id);
    expect(row.state).toBe("failed");
    expect(row.failure_reason).toMatch(/nonce .* used by another transaction/);
    expect(await earnings(provider)).toBe(before);
    expect(await chain.tokenBalance(wallet.address)).toBe(0n);
    expect((await checkLedger(sql())).ok).toBe(true);
  });
});

describe("the ledger check after all of the above", () => {
  it("finds every paid withdrawal's transfer on chain, none for the returned ones, and nothing else", async () => {
    useChainEnv();
    const states = await sql().$queryRaw<
      { state: string; n: number }[]
    >`SELECT state::text, count(*)::int AS n FROM withdrawals GROUP BY 1 ORDER BY 1`;
    // Paid ones, and returned ones (unfunded, reverted, nonce taken): both kinds are checked.
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(["failed", "paid"]));
    const r = await checkPayouts();
    expect(
      r,
      JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    ).toMatchObject({
      ok: true,
      chain: "checked",
      missingTransfers: [],
      failedButTransferred: [],
      unrecordedTransfers: [],
      errors: [],
    });
    expect(r.onChainPaid).toBe(r.ledger.paidBalance);
    expect(r.onChainPaid).toBeGreaterThan(0n);
  });
});
