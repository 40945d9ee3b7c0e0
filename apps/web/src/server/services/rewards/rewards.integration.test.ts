import { checkLedger, getBalances, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import * as claimRoute from "../../../app/api/v1/rewards/claim/route.ts";
import * as emissionsRoute from "../../../app/api/v1/rewards/emissions/route.ts";
import * as rewardsRoute from "../../../app/api/v1/rewards/route.ts";
import { createApiKey } from "../../auth/api-keys.ts";
import type { ApiScope } from "../../auth/scopes.ts";
import { AppError } from "../../errors.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { epochOf } from "../verification/por-config.ts";
import { closeEpoch } from "../verification/por-loops.ts";
import { PROTOCOL_ORG_ID } from "../verification/protocol-org.ts";
import { createNode, createOrg, encoderId } from "../verification/testing/market-harness.ts";
import { claimRewards, getRewards } from "./claims.ts";
import { distributeClosedEpochs, distributeEpochRewards } from "./distribute.ts";
import { getRewardsConfig } from "./rewards-config.ts";
import { claimableAt, earlyClaimOf, haircutOf, vestedAt } from "./schedule.ts";
import { resetEnvCache } from "../../env.ts";

// Epoch rewards on the real ledger (issue 13 item 3): an epoch's emission split by role and
// granted once however often it is closed; vesting claims that never take more than has
// vested; early claims that pay exactly what is left less the haircut, the haircut back in
// the emission pool; Σ balances = 0 and nobody ends with more than was emitted to it; and
// every bad request a clear 4xx that moves no token.

const T = 1_000_000n;
const DAY = 86_400_000;
const EPOCH_MS = 900_000;

setupServiceDatabase({
  name: "rewards",
  env: {
    POR_EPOCH_MS: String(EPOCH_MS),
    EMISSION_PER_EPOCH_BASE_UNITS: String(1_000n * T),
    EMISSION_DECAY: "0",
    EMISSION_GENESIS: "2020-01-01T00:00:00Z",
    REWARD_SHARE_WORKERS: "0.7",
    REWARD_SHARE_CHECKERS: "0.2",
    REWARD_SHARE_PLATFORM: "0.1",
    REWARD_WORKER_UPTIME_WEIGHT: "0",
    VESTING_DAYS: "180",
    EARLY_CLAIM_HAIRCUT: "0.5",
  },
});

const pool = async () => (await getBalances(sql(), [SYSTEM_ACCOUNTS.emissionPool.code])).get(SYSTEM_ACCOUNTS.emissionPool.code) ?? 0n;
const earnings = async (orgId: string) =>
  (await getBalances(sql(), [orgAccountCode(orgId, "earnings")])).get(orgAccountCode(orgId, "earnings")) ?? 0n;

async function ledgerOk(): Promise<void> {
  const c = await checkLedger(sql());
  expect(c.unbalancedTransfers).toEqual([]);
  expect(c.mismatchedAccounts).toEqual([]);
  expect(c.negativeAccounts).toEqual([]);
  expect(c.totalBalance).toBe(0n);
}

/**
 * A succeeded customer job of `milliCu` on `nodeId`, finished inside `epoch`, settled as
 * complete-job settles: its price to the provider's earnings less `fee` (default 1 000 tokens,
 * more than any test's emission: no cap binds), the fee to the protocol and the checker pool.
 */
async function job(
  orgId: string,
  nodeId: string,
  milliCu: number,
  epoch: number,
  opts: { verification?: string; purpose?: string; price?: bigint; fee?: bigint } = {},
) {
  const finished = new Date(epoch * EPOCH_MS + 60_000);
  const fee = opts.fee ?? 1_000n * T;
  const price = opts.price ?? fee * 4n;
  const rows = await sql().$queryRaw<{ id: string; provider: string }[]>`
    INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, node_id, state, purpose, verification, finished_at)
    VALUES (gen_random_uuid(), ${orgId}::uuid, ${await encoderId()}, ${milliCu}, ${price}, 'h', 1, ${nodeId}::uuid, 'succeeded',
            ${opts.purpose ?? "customer"}::"JobPurpose", ${opts.verification ?? "unverified"}::"VerificationStatus", ${finished})
    RETURNING id, (SELECT org_id FROM nodes WHERE id = ${nodeId}::uuid) AS provider`;
  const row = rows[0] as { id: string; provider: string };
  await ensureOrgAccounts(sql(), row.provider);
  await sqlTransaction((tx) =>
    postTransfer(tx, {
      idempotencyKey: `settle:${row.id}`,
      kind: "settle",
      jobId: row.id,
      legs: [
        { code: SYSTEM_ACCOUNTS.treasury.code, amount: -price },
        { code: orgAccountCode(row.provider, "earnings"), amount: price - fee },
        { code: SYSTEM_ACCOUNTS.protocolFee.code, amount: fee / 2n },
        { code: SYSTEM_ACCOUNTS.checkerPool.code, amount: fee - fee / 2n },
      ].filter((l) => l.amount !== 0n),
    }),
  );
  return row.id;
}

/** A done check by `checkerNodeId` of `subjectNodeId`, finished inside `epoch`. */
async function checkDone(checkerNodeId: string, subjectNodeId: string, subjectOrgId: string, epoch: number) {
  const finished = new Date(epoch * EPOCH_MS + 120_000);
  await sql().$executeRaw`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, model_id, epoch, checker_node_id, finished_at, verdict)
    VALUES (gen_random_uuid(), 'standby', 'done', ${subjectNodeId}::uuid, ${subjectOrgId}::uuid, ${await encoderId()}, ${epoch},
            ${checkerNodeId}::uuid, ${finished}, 'pass')`;
}

async function grantsOf(epoch: number) {
  return sql().$queryRaw<{ org_id: string; role: string; amount: string; basis: string }[]>`
    SELECT org_id, role::text AS role, amount, basis FROM reward_grants WHERE epoch = ${epoch} ORDER BY role, org_id`;
}

describe("an epoch's emission", () => {
  it("is split by role — workers by verified CU, checkers by checks, the platform its share — and granted once however often the epoch closes", async () => {
    const epoch = epochOf(Date.now(), EPOCH_MS) - 20;
    const a = await createOrg("rw-a", "provider");
    const b = await createOrg("rw-b", "provider");
    const c = await createOrg("rw-c", "provider");
    const customer = await createOrg("rw-cust", "customer");
    const na = await createNode(a);
    const nb = await createNode(b);
    const nc = await createNode(c, { role: "checker" });
    await job(customer, na.identity.id, 3_000, epoch);
    await job(customer, nb.identity.id, 1_000, epoch);
    // Not counted: a refunded (proven wrong) job, a challenge job, a job of another epoch.
    await job(customer, nb.identity.id, 50_000, epoch, { verification: "refunded" });
    await job(customer, nb.identity.id, 50_000, epoch, { purpose: "challenge" });
    await job(customer, nb.identity.id, 50_000, epoch + 1);
    for (let i = 0; i < 4; i++) await checkDone(nc.identity.id, na.identity.id, a, epoch);
    const poolBefore = await pool();

    await closeEpoch(epoch);
    // Closed "twice" (two coordinators, a retry, the catch-up loop), some at once: one grant set.
    const results = await Promise.all([distributeEpochRewards(epoch), distributeEpochRewards(epoch), distributeClosedEpochs()]);
    await closeEpoch(epoch);
    const again = await distributeEpochRewards(epoch);
    expect(results.filter((r) => typeof r === "object" && r !== null && r.created).length + (results[2] as number)).toBe(1);
    expect(again?.created).toBe(false);

    const grants = await grantsOf(epoch);
    const byOrg = Object.fromEntries(grants.map((g) => [`${g.role}:${g.org_id}`, BigInt(g.amount)]));
    // 1000 tokens: workers 700 (3:1 by CU), checkers 200, platform 100.
    expect(byOrg[`worker:${a}`]).toBe(525n * T);
    expect(byOrg[`worker:${b}`]).toBe(175n * T);
    expect(byOrg[`checker:${c}`]).toBe(200n * T);
    expect(byOrg[`platform:${PROTOCOL_ORG_ID}`]).toBe(100n * T);
    expect(grants).toHaveLength(4);
    expect(grants.find((g) => g.role === "worker" && g.org_id === a)?.basis).toBe("3000");
    expect(again).toMatchObject({ scheduled: 1_000n * T, granted: 1_000n * T, workers: 700n * T, checkers: 200n * T, platform: 100n * T });
    // Granting moves no token: they leave the emission pool when claimed.
    expect(await pool()).toBe(poolBefore);

    // The public emissions endpoint shows it.
    const res = await emissionsRoute.GET(new Request("http://localhost/api/v1/rewards/emissions?limit=5"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { emissions: { epoch: number; granted: string }[] };
    expect(body.emissions.find((e) => e.epoch === epoch)?.granted).toBe((1_000n * T).toString());
    await ledgerOk();
  });

  it("cannot be farmed by trading with yourself: a customer and provider pair is never granted more than the fees its jobs paid", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.bigInt({ min: 1n, max: 400n * T }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 50_000 }),
        async (jobs, price, feePercent, milliCu) => {
          run++;
          // Epochs of their own, long past, where this pair is the only work delivered.
          const epoch = epochOf(Date.now(), EPOCH_MS) - 200 - run;
          const customer = await createOrg(`wash-c-${run}`, "customer");
          const provider = await createOrg(`wash-p-${run}`, "provider");
          const node = await createNode(provider);
          const fee = (price * BigInt(feePercent)) / 100n;
          for (let i = 0; i < jobs; i++) await job(customer, node.identity.id, milliCu, epoch, { price, fee });
          await closeEpoch(epoch);
          const r = await distributeEpochRewards(epoch);
          const granted = (await grantsOf(epoch))
            .filter((g) => g.org_id === provider || g.org_id === customer)
            .reduce((a, g) => a + BigInt(g.amount), 0n);
          const feesPaid = fee * BigInt(jobs);
          // The pair's price went round in a circle; what it lost is the fees. Its rewards never make that up.
          expect(granted).toBeLessThanOrEqual(feesPaid);
          // Up to the cap it earns the whole CU share (700 tokens), as an honest provider would.
          expect(granted).toBe(feesPaid < 700n * T ? feesPaid : 700n * T);
          expect(r?.workers).toBe(granted);
        },
      ),
      { numRuns: 15 },
    );
    await ledgerOk();
  });

  it("pays part of the workers' share by uptime × capability, less measured outages; decays on schedule", async () => {
    const epoch = epochOf(Date.now(), EPOCH_MS) - 15;
    const startsAt = new Date(epoch * EPOCH_MS);
    const a = await createOrg("up-a", "provider");
    const b = await createOrg("up-b", "provider");
    const na = await createNode(a);
    const nb = await createNode(b);
    // Both online through the epoch; b was down for its second half. Nobody delivered CU.
    await sql()
      .$executeRaw`UPDATE nodes SET created_at = ${new Date(startsAt.getTime() - DAY)} WHERE id IN (${na.identity.id}::uuid, ${nb.identity.id}::uuid)`;
    await sql().$executeRaw`
      INSERT INTO node_outages (id, node_id, started_at, ended_at) VALUES (gen_random_uuid(), ${nb.identity.id}::uuid, ${new Date(startsAt.getTime() + EPOCH_MS / 2)}, ${new Date(startsAt.getTime() + EPOCH_MS + 1000)})`;
    // The other tests' nodes were created now: no uptime in this past epoch.
    process.env.REWARD_WORKER_UPTIME_WEIGHT = "0.5";
    process.env.EMISSION_DECAY = "0.1";
    process.env.EMISSION_DECAY_EVERY_DAYS = "1";
    process.env.EMISSION_GENESIS = new Date(startsAt.getTime() - 2 * DAY).toISOString();
    resetEnvCache();
    try {
      await closeEpoch(epoch);
      const r = await distributeEpochRewards(epoch);
      // Two decay steps: 1000 × 0.9² = 810 tokens; workers 567, half of it by uptime (283.5), 2:1.
      expect(r?.scheduled).toBe(810n * T);
      const grants = await grantsOf(epoch);
      const byOrg = Object.fromEntries(grants.map((g) => [`${g.role}:${g.org_id}`, BigInt(g.amount)]));
      expect(byOrg[`worker:${a}`]).toBe(189n * T);
      expect(byOrg[`worker:${b}`]).toBe(94_500_000n);
      // The CU half and the checkers' share found nobody: they stay in the pool.
      expect(r?.checkers).toBe(0n);
      expect(r?.granted).toBe(189n * T + 94_500_000n + 81n * T);
    } finally {
      process.env.REWARD_WORKER_UPTIME_WEIGHT = "0";
      process.env.EMISSION_DECAY = "0";
      process.env.EMISSION_GENESIS = "2020-01-01T00:00:00Z";
      delete process.env.EMISSION_DECAY_EVERY_DAYS;
      resetEnvCache();
    }
  });
});

/** Grants for `orgId` vesting from `startMs` over 180 days (as an epoch's would). */
async function grant(orgId: string, amount: bigint, startMs: number, epoch: number): Promise<string> {
  const rows = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO reward_grants (id, epoch, org_id, role, amount, vest_start, vest_end)
    VALUES (gen_random_uuid(), ${epoch}, ${orgId}::uuid, 'worker', ${amount}, ${new Date(startMs)}, ${new Date(startMs + 180 * DAY)}) RETURNING id`;
  return rows[0]?.id as string;
}

interface GrantRow {
  id: string;
  amount: string;
  vest_start: Date;
  vest_end: Date;
  released: string;
  forfeited: string;
}
const grantRows = (orgId: string) =>
  sql().$queryRaw<
    GrantRow[]
  >`SELECT id, amount, vest_start, vest_end, released, forfeited FROM reward_grants WHERE org_id = ${orgId}::uuid ORDER BY vest_start, id`;
const asState = (g: GrantRow) => ({
  amount: BigInt(g.amount),
  vestStartMs: g.vest_start.getTime(),
  vestEndMs: g.vest_end.getTime(),
  released: BigInt(g.released),
  forfeited: BigInt(g.forfeited),
});

const step = fc.oneof(
  fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 90 * DAY }) }),
  fc.record({ op: fc.constant("vested" as const), part: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined }) }),
  fc.record({ op: fc.constant("early" as const), oneGrant: fc.boolean() }),
  fc.record({ op: fc.constant("retry" as const) }),
);

let runs = 0;

describe("claims (property, real ledger)", () => {
  it("never exceed what has vested; an early claim pays exactly what is left less the haircut, which returns to the pool; Σ = 0; nobody ends with more than was emitted", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: 1n, max: 5_000n * T }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 30 * DAY }), { minLength: 4, maxLength: 4 }),
        fc.array(step, { minLength: 1, maxLength: 12 }),
        async (amounts, offsets, steps) => {
          const org = await createOrg(`prop-${++runs}`, "provider");
          const t0 = Date.UTC(2027, 0, 1);
          for (const [i, amount] of amounts.entries()) await grant(org, amount, t0 + (offsets[i] ?? 0), 1_000 + i);
          const emitted = amounts.reduce((a, b) => a + b, 0n);
          let now = t0;
          let paidTotal = 0n;
          const earlyClaimed = new Set<string>();
          let last: { kind: "vested" | "early"; grantId: string | null; amount: bigint | null; key: string } | null = null;
          let keyN = 0;
          for (const s of steps) {
            if (s.op === "advance") {
              now += s.ms;
              continue;
            }
            const before = await grantRows(org);
            const poolBefore = await pool();
            const earnBefore = await earnings(org);
            let req: { kind: "vested" | "early"; grantId: string | null; amount: bigint | null; key: string };
            if (s.op === "retry") {
              if (!last) continue;
              req = last;
            } else if (s.op === "vested") {
              const claimable = before.reduce((a, g) => a + claimableAt(asState(g), now), 0n);
              // Sometimes more than has vested, to see it refused.
              const amount = s.part === undefined ? null : (claimable * BigInt(s.part)) / 900n + 1n;
              req = { kind: "vested", grantId: null, amount, key: `k${++keyN}` };
            } else {
              const open = before.filter((g) => BigInt(g.released) + BigInt(g.forfeited) < BigInt(g.amount));
              req = { kind: "early", grantId: s.oneGrant ? (open[0]?.id ?? before[0]?.id ?? null) : null, amount: null, key: `k${++keyN}` };
            }
            const expected = (() => {
              const scope = before.filter((g) => req.grantId === null || g.id === req.grantId);
              if (req.kind === "vested") {
                const claimable = scope.reduce((a, g) => a + claimableAt(asState(g), now), 0n);
                return { claimable, paid: req.amount ?? claimable, haircut: 0n, gross: req.amount ?? claimable };
              }
              let paid = 0n;
              let haircut = 0n;
              for (const g of scope) {
                const e = earlyClaimOf(asState(g), now, 5_000n);
                paid += e.paid;
                haircut += e.haircut;
              }
              return { claimable: paid + haircut, paid, haircut, gross: paid + haircut };
            })();
            let outcome: Awaited<ReturnType<typeof claimRewards>> | AppError;
            try {
              outcome = await claimRewards({
                orgId: org,
                userId: null,
                kind: req.kind,
                grantId: req.grantId,
                amount: req.amount,
                idempotencyKey: req.key,
                now: new Date(now),
              });
            } catch (err) {
              if (!(err instanceof AppError)) throw err;
              outcome = err;
            }
            const poolAfter = await pool();
            const earnAfter = await earnings(org);
            if (outcome instanceof AppError) {
              // Refused: nothing to claim, more than has vested, or an early claim that would pay nothing.
              expect(["CONFLICT", "NOT_FOUND"]).toContain(outcome.code);
              expect(poolAfter).toBe(poolBefore);
              expect(earnAfter).toBe(earnBefore);
              if (s.op !== "retry") {
                const overAsk = req.amount !== null && req.amount > expected.claimable;
                expect(expected.claimable === 0n || overAsk || expected.paid === 0n).toBe(true);
              }
            } else if (!outcome.created) {
              // A retry pays once.
              expect(s.op).toBe("retry");
              expect(poolAfter).toBe(poolBefore);
              expect(earnAfter).toBe(earnBefore);
            } else {
              expect(s.op).not.toBe("retry");
              const c = outcome.claim;
              expect(BigInt(c.paid)).toBe(expected.paid);
              expect(BigInt(c.haircut)).toBe(expected.haircut);
              expect(BigInt(c.gross)).toBe(BigInt(c.paid) + BigInt(c.haircut));
              // Exactly `paid` reached the earnings; the pool gave `gross` and got the haircut back.
              expect(earnAfter - earnBefore).toBe(expected.paid);
              expect(poolBefore - poolAfter).toBe(expected.paid);
              if (req.kind === "early") {
                for (const g of before.filter((x) => req.grantId === null || x.id === req.grantId)) {
                  const st = asState(g);
                  const left = st.amount - st.released - st.forfeited;
                  if (left > 0n) expect(earlyClaimOf(st, now, 5_000n).haircut).toBe(haircutOf(left - claimableAt(st, now), 5_000n));
                  earlyClaimed.add(g.id);
                }
              }
              paidTotal += BigInt(c.paid);
              last = req;
            }
            if (s.op !== "retry" && !(outcome instanceof AppError)) last = req;
            // Invariants on every grant after every step.
            for (const g of await grantRows(org)) {
              const st = asState(g);
              expect(st.released + st.forfeited <= st.amount).toBe(true);
              // Claims never exceed what has vested (grants never claimed early).
              if (!earlyClaimed.has(g.id)) expect(st.released <= vestedAt(st, now)).toBe(true);
            }
          }
          const rows = await grantRows(org);
          const released = rows.reduce((a, g) => a + BigInt(g.released), 0n);
          expect(await earnings(org)).toBe(paidTotal);
          expect(released).toBe(paidTotal);
          // No account set ends with more than was emitted to it.
          expect(paidTotal <= emitted).toBe(true);
          const overview = await getRewards({ orgId: org, now: new Date(now) });
          expect(BigInt(overview.granted)).toBe(emitted);
          expect(BigInt(overview.claimable) + BigInt(overview.unvested) + BigInt(overview.claimed) + BigInt(overview.forfeited)).toBe(
            emitted,
          );
          await ledgerOk();
        },
      ),
      { numRuns: Number(process.env.REWARDS_RUNS ?? 30), endOnFailure: true },
    );
  });

  it("claims as they vest: half way through, half is claimable; an early claim then pays the rest less the haircut", async () => {
    const org = await createOrg("vest-half", "provider");
    const t0 = Date.UTC(2027, 5, 1);
    await grant(org, 1_000n * T, t0, 1);
    const poolBefore = await pool();
    await expect(claimRewards({ orgId: org, userId: null, kind: "vested", now: new Date(t0) })).rejects.toMatchObject({ code: "CONFLICT" });
    const half = await claimRewards({ orgId: org, userId: null, kind: "vested", now: new Date(t0 + 90 * DAY) });
    expect(half.claim.paid).toBe((500n * T).toString());
    await expect(claimRewards({ orgId: org, userId: null, kind: "vested", now: new Date(t0 + 90 * DAY) })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const early = await claimRewards({ orgId: org, userId: null, kind: "early", now: new Date(t0 + 90 * DAY) });
    expect(early.claim).toMatchObject({
      kind: "early",
      paid: (250n * T).toString(),
      haircut: (250n * T).toString(),
      gross: (500n * T).toString(),
    });
    expect(await earnings(org)).toBe(750n * T);
    expect(poolBefore - (await pool())).toBe(750n * T);
    await expect(claimRewards({ orgId: org, userId: null, kind: "early", now: new Date(t0 + 200 * DAY) })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const [g] = await grantRows(org);
    expect(g).toMatchObject({ released: String(750n * T), forfeited: String(250n * T) });
    await ledgerOk();
  });

  it("pays a claim retried concurrently with one key once", async () => {
    const org = await createOrg("vest-concurrent", "provider");
    await grant(org, 100n * T, Date.now() - 200 * DAY, 2);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => claimRewards({ orgId: org, userId: null, kind: "vested", idempotencyKey: "same-key" })),
    );
    expect(new Set(results.map((r) => r.claim.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await earnings(org)).toBe(100n * T);
    // Five different claims at once: the first takes everything, the others find nothing.
    await grant(org, 10n * T, Date.now() - 200 * DAY, 3);
    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => claimRewards({ orgId: org, userId: null, kind: "vested" })));
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    expect(await earnings(org)).toBe(110n * T);
    await ledgerOk();
  });
});

describe("the rewards REST API", () => {
  let provider: string;
  let other: string;
  let otherGrant: string;
  let writeKey: string;
  let readKey: string;
  let jobsKey: string;
  const key = async (orgId: string, scopes: ApiScope[]) => (await createApiKey({ orgId, name: scopes.join(",") || "none", scopes })).key;
  const req = (
    path: string,
    opts: { key?: string; body?: unknown; raw?: string; method?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    return new Request(`http://localhost/api/v1/rewards${path}`, {
      method: opts.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
    });
  };
  const call = async (res: Promise<Response> | Response) => {
    const r = await res;
    expect(r.headers.get("content-type")).toContain("application/json");
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };

  beforeAll(async () => {
    provider = await createOrg("api-rewards", "provider");
    other = await createOrg("api-rewards-other", "provider");
    await grant(provider, 360n * T, Date.now() - 90 * DAY, 10);
    otherGrant = await grant(other, 360n * T, Date.now() - 90 * DAY, 10);
    writeKey = await key(provider, ["billing:read", "payouts:write"]);
    readKey = await key(provider, ["billing:read"]);
    jobsKey = await key(provider, ["jobs:read"]);
  });

  it("answers every bad request with a clear 4xx that moves no token", async () => {
    const snapshot = async () => [await earnings(provider), await earnings(other), await pool()];
    const before = await snapshot();
    const bad: [unknown, number][] = [
      [{ amount: "-5" }, 400],
      [{ amount: "0" }, 400],
      [{ amount: 0 }, 400],
      [{ amount: "1.5" }, 400],
      [{ amount: 1.5 }, 400],
      [{ amount: "abc" }, 400],
      [{ amount: "99999999999999999999999" }, 400],
      [{ amount: String(10n ** 18n) }, 409], // well-formed, far above what has vested
      [{ kind: "sideways" }, 400],
      [{ kind: "early", amount: "5" }, 400],
      [{ grantId: otherGrant }, 404],
      [{ grantId: "not-a-uuid" }, 404],
      [{ grantId: 7 }, 400],
      [{ kind: "early", haircut: "1" }, 409], // more than the provider agreed to give up
    ];
    for (const [body, status] of bad) {
      const r = await call(claimRoute.POST(req("/claim", { key: writeKey, body })));
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error?.message.length).toBeGreaterThan(0);
    }
    expect((await call(claimRoute.POST(req("/claim", { key: writeKey, raw: "{nope" })))).status).toBe(400);
    expect((await call(claimRoute.POST(req("/claim", { key: readKey, body: {} })))).status).toBe(403);
    expect((await call(claimRoute.POST(req("/claim", { body: {} })))).status).toBe(401);
    expect((await call(rewardsRoute.GET(req("", { key: jobsKey })))).status).toBe(403);
    expect((await call(claimRoute.GET(req("/claim", { key: writeKey })))).status).toBe(405);
    expect((await call(rewardsRoute.POST(req("", { key: writeKey, body: {} })))).status).toBe(405);
    expect(await snapshot()).toEqual(before);
  });

  it("claims what has vested once per idempotency key, and shows it", async () => {
    const first = await call(
      claimRoute.POST(req("/claim", { key: writeKey, body: { amount: String(10n * T) }, headers: { "idempotency-key": "claim-1" } })),
    );
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: "vested", paid: String(10n * T), haircut: "0" });
    const retry = await call(
      claimRoute.POST(req("/claim", { key: writeKey, body: { amount: String(10n * T) }, headers: { "idempotency-key": "claim-1" } })),
    );
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    const reused = await call(
      claimRoute.POST(req("/claim", { key: writeKey, body: { amount: String(11n * T) }, headers: { "idempotency-key": "claim-1" } })),
    );
    expect(reused.status).toBe(422);
    expect(await earnings(provider)).toBe(10n * T);

    const overview = await call(rewardsRoute.GET(req("", { key: readKey })));
    expect(overview.status).toBe(200);
    expect(overview.body.claimed).toBe(String(10n * T));
    expect(BigInt(overview.body.claimable as string)).toBeGreaterThan(170n * T);
    expect((overview.body.series as unknown[]).length).toBeGreaterThan(0);
    const quote = overview.body.earlyClaim as { paid: string; haircut: string };

    // The early claim with the quoted haircut (a moment later less is unvested: it only shrinks).
    const early = await call(claimRoute.POST(req("/claim", { key: writeKey, body: { kind: "early", haircut: quote.haircut } })));
    expect(BigInt(early.body.haircut as string) <= BigInt(quote.haircut)).toBe(true);
    expect(early.status).toBe(201);
    expect(BigInt(early.body.paid as string) + BigInt(early.body.haircut as string) + 10n * T).toBe(360n * T);
    const nothing = await call(claimRoute.POST(req("/claim", { key: writeKey, body: {} })));
    expect(nothing.status).toBe(409);
    expect(getRewardsConfig().haircutBps).toBe(5_000n);
    await ledgerOk();
  });
});
