/**
 * npm run bench:ledger — the token ledger and the payout loop, measured on real parts:
 * - transfers per second through the product's postTransfer (one transaction each, with its
 *   idempotency key) on 10 000 accounts, with 8 concurrent writers against 1 writer in the
 *   same run (the baseline), on an embedded Postgres with its default durability (fsync on);
 * - withdrawals paid per minute by the payout loop on the local Hardhat chain (one block per
 *   second besides the one per transaction, PAYOUT_CONFIRMATIONS=2), from request to `paid`.
 * JSON lines on stdout (bench/report.ts), progress on stderr.
 *
 *   npm run bench:ledger [-- --accounts 10000 --transfers 8000 --writers 8 --withdrawals 60]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPrng } from "@proofgrid/por";
import { createDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { checkLedger, ensureAccounts, orgAccount, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { migrate } from "@proofgrid/db/migrate";
import { closePgPool, sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { median, progress, quantile, report } from "./report.ts";

const { values: args } = parseArgs({
  options: {
    accounts: { type: "string", default: "10000" },
    transfers: { type: "string", default: "8000" },
    writers: { type: "string", default: "8" },
    withdrawals: { type: "string", default: "60" },
  },
});
const ACCOUNTS = Number(args.accounts);
const TRANSFERS = Number(args.transfers);
const WRITERS = Number(args.writers);
const WITHDRAWALS = Number(args.withdrawals);
const FUNDS = 1_000_000_000n; // 1 000 tokens per account

/** A one-line progress bar on stderr (a terminal redraws it; a log gets a line per 10 %). */
function bar(label: string, total: number): (done: number) => void {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  return (done) => {
    const frac = Math.min(1, done / total);
    const tenth = Math.floor(frac * 10);
    if (tty) {
      const width = 30;
      const filled = Math.round(frac * width);
      process.stderr.write(
        `\r[bench] ${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${done >= total ? "\n" : ""}`,
      );
    } else if (tenth !== lastTenth) {
      lastTenth = tenth;
      progress(`${label}: ${done}/${total}`);
    }
  };
}

/** Random transfers between the accounts, the same in every run (por's seeded PRNG). */
function plan(n: number, seed: string): { from: number; to: number; amount: bigint }[] {
  const rand = createPrng(seed);
  return Array.from({ length: n }, () => {
    const from = Math.floor(rand.nextFloat() * ACCOUNTS);
    let to = Math.floor(rand.nextFloat() * (ACCOUNTS - 1));
    if (to >= from) to++;
    return { from, to, amount: BigInt(1 + Math.floor(rand.nextFloat() * 1_000_000)) };
  });
}

/** Posts `transfers` with `writers` concurrent transactions; returns per-transfer latencies and the wall time. */
async function run(orgIds: string[], transfers: ReturnType<typeof plan>, writers: number, tag: string) {
  const latencies: number[] = [];
  let next = 0;
  const tick = bar(`${writers} writer(s)`, transfers.length);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (;;) {
        const i = next++;
        const t = transfers[i];
        if (!t) return;
        const s = performance.now();
        await sqlTransaction(async (tx) => {
          await postTransfer(tx, {
            idempotencyKey: `bench:${tag}:${i}`,
            kind: "move",
            memo: "bench",
            legs: [
              { code: orgAccountCode(orgIds[t.from] as string, "available"), amount: -t.amount },
              { code: orgAccountCode(orgIds[t.to] as string, "available"), amount: t.amount },
            ],
          });
        });
        latencies.push(performance.now() - s);
        if (latencies.length % 200 === 0 || latencies.length === transfers.length) tick(latencies.length);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

async function ledgerPart(): Promise<void> {
  progress(`creating ${ACCOUNTS} organisations with an available account, funded from the treasury`);
  const orgIds = (
    await sql().$queryRaw<{ id: string }[]>`
      INSERT INTO organizations (id, name, slug, kind)
      SELECT gen_random_uuid(), 'bench ' || i, 'bench-' || i, 'customer' FROM generate_series(1, ${ACCOUNTS}) AS i
      RETURNING id`
  ).map((r) => r.id);
  const fund = bar("accounts", orgIds.length);
  for (let i = 0; i < orgIds.length; i += 500) {
    const chunk = orgIds.slice(i, i + 500);
    await sqlTransaction(async (tx) => {
      await ensureAccounts(
        tx,
        chunk.map((id) => orgAccount(id, "available")),
      );
      for (const id of chunk) {
        await postTransfer(tx, {
          idempotencyKey: `bench:fund:${id}`,
          kind: "grant",
          memo: "bench funds",
          legs: [
            { code: SYSTEM_ACCOUNTS.treasury.code, amount: -FUNDS },
            { code: orgAccountCode(id, "available"), amount: FUNDS },
          ],
        });
      }
    });
    fund(Math.min(orgIds.length, i + 500));
  }

  // Warm-up (plans, pool), then the baseline (1 writer) and the measured run (N writers), each
  // on its own random transfers over the same accounts.
  await run(orgIds, plan(200, "bench-ledger-warm"), WRITERS, "warm");
  const single = await run(orgIds, plan(Math.max(500, Math.floor(TRANSFERS / 4)), "bench-ledger-1"), 1, "one");
  const many = await run(orgIds, plan(TRANSFERS, "bench-ledger-n"), WRITERS, "many");
  const tps = (r: { latencies: number[]; seconds: number }) => r.latencies.length / r.seconds;

  report({
    name: "ledger_transfers_per_second",
    value: tps(many),
    unit: "transfers/s",
    baseline: tps(single),
    note: `${WRITERS} concurrent writers vs 1, ${ACCOUNTS} accounts, postTransfer in its own transaction (fsync on)`,
    detail: { transfers: many.latencies.length, baselineTransfers: single.latencies.length },
  });
  report({
    name: "ledger_transfer_latency_p50",
    value: median(many.latencies),
    unit: "ms",
    baseline: median(single.latencies),
    note: `${WRITERS} writers vs 1`,
  });
  report({
    name: "ledger_transfer_latency_p95",
    value: quantile(many.latencies, 0.95),
    unit: "ms",
    baseline: quantile(single.latencies, 0.95),
    note: `${WRITERS} writers vs 1`,
  });

  progress("ledger check (Σ = 0, balances equal their entries)");
  const t0 = performance.now();
  const check = await checkLedger(sql());
  report({ name: "ledger_check_ms", value: performance.now() - t0, unit: "ms", note: `${check.transfers} transfers; ok: ${check.ok}` });
  if (!check.ok)
    throw new Error(
      `the ledger check failed: ${JSON.stringify(check, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 500)}`,
    );
}

async function payoutPart(dataDir: string): Promise<void> {
  progress("starting the local Hardhat chain (token deployed, payout wallet funded)");
  const { startTestChain } = await import("../tests/support/chain.ts");
  const chain = await startTestChain({ blockMs: 1_000 });
  try {
    Object.assign(process.env, chain.env(), { PAYOUT_CONFIRMATIONS: "2", PAYOUT_REBROADCAST_MS: "15000", PROOFGRID_DATA_DIR: dataDir });
    const { fundEarnings, newWallet, setPayoutAddress } = await import("../tests/support/payouts.ts");
    const { requestWithdrawal } = await import("../apps/web/src/server/services/payouts/withdrawals.ts");
    const { createPayoutLoop } = await import("../apps/web/src/server/services/payouts/payout-loop.ts");
    const { ensureOrgAccounts } = await import("../apps/web/src/server/services/billing/org-accounts.ts");

    progress(`${WITHDRAWALS} providers with earnings and a proven payout address`);
    const providers: string[] = [];
    for (let i = 0; i < WITHDRAWALS; i++) {
      const id = (
        await sql().$queryRaw<{ id: string }[]>`
          INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), ${`payee ${i}`}, ${`payee-${i}`}, 'provider') RETURNING id`
      )[0]?.id as string;
      await ensureOrgAccounts(sql(), id);
      await fundEarnings(id, 100_000_000n, `bench-${i}`);
      await setPayoutAddress(id, newWallet());
      providers.push(id);
    }

    const loop = createPayoutLoop();
    const t0 = performance.now();
    const requested = new Map<string, number>();
    for (const [i, orgId] of providers.entries()) {
      const { withdrawal } = await requestWithdrawal({ orgId, userId: null, amount: 50_000_000n, idempotencyKey: `bench-${i}` });
      requested.set(withdrawal.id, performance.now());
    }
    const paidAfter: number[] = [];
    const tick = bar("withdrawals paid", providers.length);
    const deadline = Date.now() + 10 * 60_000;
    while (paidAfter.length < providers.length) {
      if (Date.now() > deadline) throw new Error(`only ${paidAfter.length}/${providers.length} withdrawals paid in 10 minutes`);
      await loop.tick();
      const rows = await sql().$queryRaw<
        { id: string; state: string }[]
      >`SELECT id, state FROM withdrawals WHERE state IN ('paid', 'failed')`;
      for (const r of rows) {
        const at = requested.get(r.id);
        if (at === undefined) continue;
        if (r.state === "failed") throw new Error(`withdrawal ${r.id} failed`);
        paidAfter.push(performance.now() - at);
        requested.delete(r.id);
      }
      tick(paidAfter.length);
      await new Promise((r) => setTimeout(r, 200));
    }
    const minutes = (performance.now() - t0) / 60_000;
    report({
      name: "payouts_per_minute",
      value: providers.length / minutes,
      unit: "withdrawals/min",
      note: `${providers.length} withdrawals requested at once, paid by the payout loop on the local chain (Hardhat automine: a block per transaction, and one a second; 2 confirmations)`,
    });
    report({ name: "payout_request_to_paid_p50", value: median(paidAfter) / 1000, unit: "s" });
    report({ name: "payout_request_to_paid_p95", value: quantile(paidAfter, 0.95) / 1000, unit: "s" });

    const { checkPayouts } = await import("../apps/web/src/server/services/payouts/check-payouts.ts");
    const payouts = await checkPayouts();
    progress(
      `payouts reconciled with the chain: ${JSON.stringify(payouts, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 300)}`,
    );
  } finally {
    await chain.stop();
  }
}

async function main() {
  // The app's services log at info on stdout, which is this bench's JSON lines.
  process.env.LOG_LEVEL ??= "warn";
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-bench-ledger-"));
  progress("starting embedded Postgres (default durability)");
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, "pg") });
  try {
    const url = await createDatabase(pg.url, "bench_ledger");
    await migrate({ url });
    process.env.DATABASE_URL = url;
    await ensureAccounts(sql(), Object.values(SYSTEM_ACCOUNTS));
    await ledgerPart();
    await payoutPart(join(dir, "data"));
  } finally {
    await closePgPool();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
