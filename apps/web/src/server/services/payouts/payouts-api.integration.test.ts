import { getBalances, orgAccountCode, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { walletClientFor } from "@proofgrid/chain";
import { erc20Abi, getAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../../../../../../tests/support/chain.ts";
import { fundEarnings, newWallet, withdrawalRow } from "../../../../../../tests/support/payouts.ts";
import * as addressRoute from "../../../app/api/v1/payouts/address/route.ts";
import * as challengeRoute from "../../../app/api/v1/payouts/address/challenge/route.ts";
import * as quoteRoute from "../../../app/api/v1/payouts/quote/route.ts";
import * as withdrawalRoute from "../../../app/api/v1/payouts/withdrawals/[id]/route.ts";
import * as withdrawalsRoute from "../../../app/api/v1/payouts/withdrawals/route.ts";
import { createApiKey } from "../../auth/api-keys.ts";
import type { ApiScope } from "../../auth/scopes.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { checkPayouts } from "./check-payouts.ts";
import { createPayoutLoop } from "./payout-loop.ts";
import { resetEnvCache } from "../../env.ts";

// The payouts REST API as a client calls it: the route handlers themselves (the exported
// GET/POST a Next route serves) with real Requests, real API keys, real Postgres and the
// local Hardhat chain. What a client relies on: only a key with the right scope acts, every
// bad request is a JSON 4xx that moves no token, and a retried withdrawal pays once.

const TOKEN = 1_000_000n;
const BASE = "http://localhost/api/v1/payouts";
let chain: TestChain;
let provider: string;
let writeKey: string;
let readKey: string;
let jobsKey: string;
let otherKey: string;
const loop = createPayoutLoop();

async function key(orgId: string, scopes: ApiScope[]): Promise<string> {
  return (await createApiKey({ orgId, name: scopes.join(",") || "none", scopes })).key;
}

function req(
  path: string,
  opts: { method?: string; key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Request {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Request(`${BASE}${path}`, { method: opts.method ?? (body === undefined ? "GET" : "POST"), headers, body });
}

async function call(
  res: Promise<Response>,
): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string } } }> {
  const r = await res;
  expect(r.headers.get("content-type")).toContain("application/json");
  return { status: r.status, body: (await r.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

const idParams = (id: string) => ({ params: Promise.resolve({ id }) });

/** Every balance a payout can move, the withdrawals and the address: what "nothing changed" means. */
async function snapshot() {
  const codes = [
    orgAccountCode(provider, "earnings"),
    SYSTEM_ACCOUNTS.withdrawalsPending.code,
    SYSTEM_ACCOUNTS.withdrawalsPaid.code,
    SYSTEM_ACCOUNTS.protocolFee.code,
  ];
  const b = await getBalances(sql(), codes);
  const withdrawals = await sql().$queryRaw<{ id: string; state: string }[]>`SELECT id, state FROM withdrawals ORDER BY id`;
  const address = await sql().$queryRaw<{ address: string }[]>`SELECT address FROM payout_addresses WHERE org_id = ${provider}::uuid`;
  return { balances: codes.map((c) => b.get(c) ?? 0n), withdrawals, address: address[0]?.address ?? null };
}

/** Proves a payout address through the two REST calls a wallet-holding client makes. */
async function linkAddress(apiKey: string, wallet = newWallet()) {
  const c = await call(challengeRoute.POST(req("/address/challenge", { key: apiKey, body: { address: wallet.address } })));
  expect(c.status).toBe(201);
  const signature = await wallet.signMessage({ message: c.body.message as string });
  const v = await call(addressRoute.POST(req("/address", { key: apiKey, body: { challengeId: c.body.challengeId, signature } })));
  return { wallet, challenge: c.body, signature, verified: v };
}

setupServiceDatabase({ name: "payouts-api" });

beforeAll(async () => {
  chain = await startTestChain({ blockMs: 200 });
  Object.assign(process.env, chain.env(), { PAYOUT_CONFIRMATIONS: "2", PAYOUT_REBROADCAST_MS: "500" });
  resetEnvCache();
  provider = await createOrg("api-provider", "provider");
  const other = await createOrg("api-other", "provider");
  await fundEarnings(provider, 500n * TOKEN, "api-provider");
  await fundEarnings(other, 500n * TOKEN, "api-other");
  writeKey = await key(provider, ["billing:read", "payouts:write"]);
  readKey = await key(provider, ["billing:read"]);
  jobsKey = await key(provider, ["jobs:read", "jobs:write"]);
  otherKey = await key(other, ["billing:read", "payouts:write"]);
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

describe("payouts API: who may call it", () => {
  it("answers 401 without a key or with a bad one, 403 without the scope, and changes nothing", async () => {
    const before = await snapshot();
    const wallet = newWallet();
    for (const k of [null, "pg_notakey", "pg_AAAAAAAAAAAA_bm90LWEta2V5LWF0LWFsbC1qdXN0LWJ5dGVzLXBhZGRpbmctcGFk"]) {
      const r = await call(withdrawalsRoute.POST(req("/withdrawals", { key: k, body: { amount: "20000000" } })));
      expect(r.status, String(k)).toBe(401);
      expect(r.body.error?.code).toBe("UNAUTHORIZED");
      expect((await call(quoteRoute.GET(req("/quote", { key: k })))).status).toBe(401);
      expect((await call(withdrawalsRoute.GET(req("/withdrawals", { key: k })))).status).toBe(401);
    }
    // A read-only key reads but cannot link an address or withdraw; a jobs key does neither.
    expect((await call(quoteRoute.GET(req("/quote", { key: readKey })))).status).toBe(200);
    for (const k of [readKey, jobsKey]) {
      const c = await call(challengeRoute.POST(req("/address/challenge", { key: k, body: { address: wallet.address } })));
      expect(c.status).toBe(403);
      expect(c.body.error?.message).toMatch(/payouts:write/);
      const w = await call(withdrawalsRoute.POST(req("/withdrawals", { key: k, body: { amount: "20000000" } })));
      expect(w.status).toBe(403);
      expect((await call(addressRoute.POST(req("/address", { key: k, body: { challengeId: "x", signature: "0x" } })))).status).toBe(403);
    }
    for (const r of [
      quoteRoute.GET(req("/quote", { key: jobsKey })),
      withdrawalsRoute.GET(req("/withdrawals", { key: jobsKey })),
      addressRoute.GET(req("/address", { key: jobsKey })),
    ]) {
      expect((await call(r)).status).toBe(403);
    }
    // Methods a route does not have: a JSON 405 naming the ones it has.
    const put = await withdrawalsRoute.PUT(req("/withdrawals", { method: "PUT", key: writeKey }));
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
    expect(await snapshot()).toEqual(before);
  });
});

describe("payouts API: bad input is a clear 4xx and moves nothing", () => {
  it("refuses bad addresses, signatures and challenges", async () => {
    const before = await snapshot();
    for (const body of [
      {},
      { address: "hello" },
      { address: "0x123" },
      { address: 42 },
      { address: "0x0000000000000000000000000000000000000000" },
    ]) {
      const r = await call(challengeRoute.POST(req("/address/challenge", { key: writeKey, body })));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error?.code).toBe("BAD_REQUEST");
    }
    const notJson = await call(challengeRoute.POST(req("/address/challenge", { key: writeKey, raw: "{address:" })));
    expect(notJson.status).toBe(400);
    const tooBig = await call(
      challengeRoute.POST(req("/address/challenge", { key: writeKey, raw: JSON.stringify({ address: "0x".padEnd(5_000, "a") }) })),
    );
    expect(tooBig.status).toBe(413);

    // A signature by another key than the address's, and another organisation's challenge.
    const victim = newWallet();
    const c = await call(challengeRoute.POST(req("/address/challenge", { key: writeKey, body: { address: victim.address } })));
    const forged = await newWallet().signMessage({ message: c.body.message as string });
    const f = await call(
      addressRoute.POST(req("/address", { key: writeKey, body: { challengeId: c.body.challengeId, signature: forged } })),
    );
    expect(f.status).toBe(400);
    expect(f.body.error?.message).toMatch(/made by 0x/);
    const valid = await victim.signMessage({ message: c.body.message as string });
    const stolen = await call(
      addressRoute.POST(req("/address", { key: otherKey, body: { challengeId: c.body.challengeId, signature: valid } })),
    );
    expect(stolen.status).toBe(404);
    for (const signature of ["", "0x1234", 7, null]) {
      const r = await call(addressRoute.POST(req("/address", { key: writeKey, body: { challengeId: c.body.challengeId, signature } })));
      expect(r.status, String(signature)).toBe(400);
    }
    expect(await snapshot()).toEqual(before);
    expect((await call(addressRoute.GET(req("/address", { key: readKey })))).body).toEqual({ address: null });
  });

  it("refuses bad amounts, a wrong fee, no address, above the balance, and another organisation's withdrawal", async () => {
    // No payout address yet: a withdrawal is a 409 that says what to do.
    const noAddress = await call(withdrawalsRoute.POST(req("/withdrawals", { key: writeKey, body: { amount: "20000000" } })));
    expect(noAddress.status).toBe(409);
    expect(noAddress.body.error?.message).toMatch(/payout address/);

    const { verified } = await linkAddress(writeKey);
    expect(verified.status).toBe(200);
    const before = await snapshot();
    const amounts: unknown[] = [
      "-5",
      "0",
      "1.5",
      "abc",
      "1e6",
      "",
      "0x10",
      "99999999999999999999999999",
      -1,
      0,
      2.5,
      2 ** 60,
      {},
      [],
      null,
      true,
    ];
    for (const amount of amounts) {
      const r = await call(withdrawalsRoute.POST(req("/withdrawals", { key: writeKey, body: { amount } })));
      expect(r.status, JSON.stringify(amount)).toBe(400);
      expect(r.body.error?.code).toBe("BAD_REQUEST");
      const q = await call(quoteRoute.GET(req(`/quote?amount=${encodeURIComponent(String(amount))}`, { key: readKey })));
      expect(q.status, `quote ${JSON.stringify(amount)}`).toBe(400);
    }
    for (const raw of ["", "[]", '"20000000"', "{amount: 1}", "null"]) {
      const r = await call(withdrawalsRoute.POST(req("/withdrawals", { key: writeKey, raw })));
      expect(r.status, raw).toBe(400);
    }
    const below = await call(withdrawalsRoute.POST(req("/withdrawals", { key: writeKey, body: { amount: "9999999" } })));
    expect(below.status).toBe(400);
    expect(below.body.error?.message).toMatch(/minimum/);
    const above = await call(withdrawalsRoute.POST(req("/withdrawals", { key: writeKey, body: { amount: String(501n * TOKEN) } })));
    expect(above.status).toBe(402);
    expect(above.body.error?.message).toMatch(/exceeds your available earnings \(500 tokens\)/);
    const wrongFee = await call(withdrawalsRoute.POST(req("/withdrawals", { key: writeKey, body: { amount: "20000000", fee: "0" } })));
    expect(wrongFee.status).toBe(409);
    expect(wrongFee.body.error?.message).toMatch(/fee/);
    const longKey = await call(
      withdrawalsRoute.POST(
        req("/withdrawals", { key: writeKey, body: { amount: "20000000" }, headers: { "idempotency-key": "x".repeat(201) } }),
      ),
    );
    expect(longKey.status).toBe(400);
    for (const id of ["not-a-uuid", "00000000-0000-0000-0000-000000000000"]) {
      expect((await call(withdrawalRoute.GET(req(`/withdrawals/${id}`, { key: readKey }), idParams(id)))).status).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("payouts API: a withdrawal", () => {
  it("retried with one idempotency key (in sequence and at once) is one withdrawal, paid once on chain", async () => {
    const { wallet } = await linkAddress(writeKey);
    const quote = await call(quoteRoute.GET(req("/quote?amount=30000000", { key: readKey })));
    expect(quote.status).toBe(200);
    expect(quote.body).toMatchObject({ amount: "30000000", fee: "100000", net: "29900000", payoutAddress: wallet.address });
    const before = await snapshot();

    const post = () =>
      withdrawalsRoute.POST(
        req("/withdrawals", {
          key: writeKey,
          body: { amount: "30000000", fee: quote.body.fee },
          headers: { "idempotency-key": "payday-1" },
        }),
      );
    // Four at once, as a client whose first request timed out would send them; then one more.
    const concurrent = await Promise.all([post(), post(), post(), post()].map(call));
    const later = await call(post());
    const all = [...concurrent, later];
    const ids = new Set(all.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const id = later.body.id as string;
    // The same key with another amount is a conflict, not a second withdrawal.
    const other = await call(
      withdrawalsRoute.POST(
        req("/withdrawals", { key: writeKey, body: { amount: "40000000" }, headers: { "idempotency-key": "payday-1" } }),
      ),
    );
    expect(other.status).toBe(409);
    // Another organisation's key cannot see it.
    expect((await call(withdrawalRoute.GET(req(`/withdrawals/${id}`, { key: otherKey }), idParams(id)))).status).toBe(404);

    const afterRequest = await snapshot();
    expect(afterRequest.balances[0]).toBe((before.balances[0] as bigint) - 30n * TOKEN);
    expect(afterRequest.balances[1]).toBe((before.balances[1] as bigint) + 30n * TOKEN);

    // The payout loop pays it; retries after that return the paid withdrawal and pay nothing more.
    const deadline = Date.now() + 30_000;
    for (;;) {
      await loop.tick();
      if ((await withdrawalRow(id))?.state === "paid") break;
      if (Date.now() > deadline) throw new Error(`withdrawal still ${(await withdrawalRow(id))?.state}`);
      await new Promise((r) => setTimeout(r, 150));
    }
    const retried = await call(post());
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id, state: "paid" });
    for (let i = 0; i < 3; i++) await loop.tick();

    expect(await chain.tokenBalance(wallet.address)).toBe(29_900_000n);
    const transfers = (await chain.transfersFrom(chain.chain.payoutAddress)).filter((x) => getAddress(x.to) === wallet.address);
    expect(transfers).toHaveLength(1);
    const shown = await call(withdrawalRoute.GET(req(`/withdrawals/${id}`, { key: readKey }), idParams(id)));
    expect(shown.body).toMatchObject({ id, state: "paid", net: "29900000", txHash: transfers[0]?.txHash });
    const list = await call(withdrawalsRoute.GET(req("/withdrawals", { key: readKey })));
    expect((list.body.withdrawals as { id: string }[]).filter((w) => w.id === id)).toHaveLength(1);
    const after = await snapshot();
    expect(after.balances).toEqual([
      (before.balances[0] as bigint) - 30n * TOKEN,
      before.balances[1],
      (before.balances[2] as bigint) + 29_900_000n,
      (before.balances[3] as bigint) + 100_000n,
    ]);
  });
});

describe("the ledger check's payout half", () => {
  it("matches the paid withdrawals to the payout wallet's transfers on chain, and fails on a transfer no withdrawal signed", async () => {
    const paid = await sql().$queryRaw<
      { n: number; net: bigint }[]
    >`SELECT count(*)::int AS n, sum(net)::bigint AS net FROM withdrawals WHERE state = 'paid'`;
    expect(paid[0]?.n).toBeGreaterThan(0);
    const good = await checkPayouts();
    expect(good).toMatchObject({
      ok: true,
      chain: "checked",
      missingTransfers: [],
      failedButTransferred: [],
      unrecordedTransfers: [],
      errors: [],
    });
    expect(good.onChainPaid).toBe(BigInt(paid[0]?.net ?? 0n));
    expect(good.ledger.paidBalance).toBe(good.onChainPaid);
    expect(good.ledger.pendingBalance).toBe(good.ledger.openWithdrawalsAmount);

    // Someone with the payout key moves tokens out behind the ledger's back.
    const operator = walletClientFor({
      rpcUrl: chain.chain.rpcUrl,
      chainId: chain.chain.chainId,
      privateKey: chain.chain.payoutPrivateKey as Hex,
    });
    const thief = newWallet().address;
    const hash = await operator.writeContract({
      address: chain.chain.tokenAddress,
      abi: erc20Abi,
      functionName: "transfer",
      args: [thief, 5n * TOKEN],
    });
    await chain.client.waitForTransactionReceipt({ hash });
    const bad = await checkPayouts();
    expect(bad.ok).toBe(false);
    expect(bad.unrecordedTransfers).toEqual([expect.objectContaining({ txHash: hash, to: thief, value: 5n * TOKEN })]);
    // The withdrawals themselves still reconcile: only the stray transfer is reported.
    expect(bad.onChainPaid).toBe(good.onChainPaid);
    expect(bad.missingTransfers).toEqual([]);
  });
});
