import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAccounts, ensureSystemAccounts, getBalances, orgAccount, SYSTEM_ACCOUNTS } from "../ledger/accounts.ts";
import { checkLedger } from "../ledger/check-ledger.ts";
import { LedgerError } from "../ledger/ledger-error.ts";
import { postTransfer } from "../ledger/post-transfer.ts";
import { SqlClient } from "../sql-client.ts";
import { createTestDatabase, type TestDatabase } from "../testing/create-test-database.ts";
import { seedModelAndOrgs } from "../testing/seed-rows.ts";
import { insertJobWithHold, type InsertJobOptions } from "./insert-job.ts";

// A submit's write as one statement (issue 15): the job, its payload and its credit hold are
// written together or not at all — an overdraft or a missing account leaves no job, no
// payload and no transfer behind, and the ledger balances after any mix of them.

let t: TestDatabase;
let db: SqlClient;
const MODEL = "d".repeat(64);
let org: string;
let bare: string;

const available = (o: string) => orgAccount(o, "available").code;
const held = (o: string) => orgAccount(o, "held").code;

beforeAll(async () => {
  t = await createTestDatabase();
  db = new SqlClient(t.pool);
  org = randomUUID();
  bare = randomUUID();
  await seedModelAndOrgs(t.pool, {
    model: { id: MODEL, slug: "insert-job-model" },
    orgs: [
      [org, "with-accounts"],
      [bare, "without-accounts"],
    ],
  });
  await ensureSystemAccounts(t.prisma);
  await ensureAccounts(t.prisma, [orgAccount(org, "available"), orgAccount(org, "held")]);
});
afterAll(async () => {
  await t?.drop();
});

/** Credits the organisation from the treasury, in a transaction of its own on the test database. */
async function grant(amount: bigint, to = available(org)) {
  await move([
    { code: SYSTEM_ACCOUNTS.treasury.code, amount: -amount },
    { code: to, amount },
  ]);
}

/** Posts a transfer in a transaction of its own (the ledger stays whole for checkLedger). */
async function move(legs: { code: string; amount: bigint }[]) {
  const client = await t.pool.connect();
  try {
    await client.query("BEGIN");
    await postTransfer(new SqlClient(client), { idempotencyKey: `grant:${randomUUID()}`, kind: "grant", legs });
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}

function job(orgId: string, price: bigint, extra: Partial<InsertJobOptions> = {}) {
  const id = randomUUID();
  return {
    id,
    orgId,
    modelId: MODEL,
    costMilliCu: 7,
    price,
    inputHash: "h".repeat(64),
    inputBytes: 12,
    input: { text: `job ${id}` },
    clientRegion: null,
    idempotencyKey: null,
    maxPerCuBaseUnits: null,
    apiKeyId: null,
    hold: [
      { code: available(orgId), amount: -price },
      { code: held(orgId), amount: price },
    ],
    ...extra,
  };
}

/** What exists of a job: its row, its payload, its hold's transfer. */
async function traces(id: string) {
  const q = async (text: string) => Number((await t.pool.query(text, [id])).rows[0].n);
  return {
    job: await q("SELECT count(*) AS n FROM jobs WHERE id = $1::uuid"),
    payload: await q("SELECT count(*) AS n FROM job_payloads WHERE job_id = $1::uuid"),
    hold: await q("SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = 'hold:' || $1"),
  };
}

const balances = async () => {
  const b = await getBalances(db, [available(org), held(org)]);
  return { available: b.get(available(org)) ?? 0n, held: b.get(held(org)) ?? 0n };
};

describe("insertJobWithHold", () => {
  it("writes the job, its payload and its hold in one statement", async () => {
    await grant(1_000n);
    const before = await balances();
    const j = job(org, 300n);
    const { job: row, controls } = await insertJobWithHold(db, j);
    expect(row?.id).toBe(j.id);
    expect(row?.created_at).toBeInstanceOf(Date);
    // Without `admit` it reads no controls.
    expect(controls).toBeNull();
    expect(await traces(j.id)).toEqual({ job: 1, payload: 1, hold: 1 });
    const stored = (await t.pool.query("SELECT state::text, price::text, cost_milli_cu FROM jobs WHERE id = $1::uuid", [j.id])).rows[0];
    expect(stored).toEqual({ state: "queued", price: "300", cost_milli_cu: 7 });
    expect(await balances()).toEqual({ available: before.available - 300n, held: before.held + 300n });
    expect((await checkLedger(db)).ok).toBe(true);
  });

  it("writes nothing when the hold would overdraw: insufficient_funds", async () => {
    const before = await balances();
    const j = job(org, before.available + 1n);
    const err = await insertJobWithHold(db, j).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerError);
    expect((err as LedgerError).code).toBe("insufficient_funds");
    expect(await traces(j.id)).toEqual({ job: 0, payload: 0, hold: 0 });
    expect(await balances()).toEqual(before);
  });

  it("writes nothing and answers null for an organisation without accounts", async () => {
    const j = job(bare, 5n);
    expect((await insertJobWithHold(db, j)).job).toBeNull();
    expect(await traces(j.id)).toEqual({ job: 0, payload: 0, hold: 0 });
  });

  describe("with admit: the submit's spend controls read by the same statement", () => {
    let o: string;
    beforeAll(async () => {
      o = randomUUID();
      await t.pool.query("INSERT INTO organizations (id, name, slug) VALUES ($1, 'admit', 'admit')", [o]);
      await ensureAccounts(t.prisma, [orgAccount(o, "available"), orgAccount(o, "held"), orgAccount(o, "debt")]);
      await grant(1_000n, available(o));
    });
    const queuedOf = async () => Number((await t.pool.query("SELECT count(*) AS n FROM jobs WHERE org_id = $1::uuid", [o])).rows[0].n);

    it("writes the job when nothing stops it, and answers what it read", async () => {
      const j = job(o, 10n);
      const r = await insertJobWithHold(db, { ...j, admit: { queuedLimit: 5 } });
      expect(r.job?.id).toBe(j.id);
      expect(r.controls).toEqual({ debt: "0", org_cap: null, key_cap: null, queued: 0 });
      expect(await traces(j.id)).toEqual({ job: 1, payload: 1, hold: 1 });
    });

    it("writes nothing when the organisation's queue is full, and says how full", async () => {
      const before = await queuedOf();
      const j = job(o, 10n);
      const r = await insertJobWithHold(db, { ...j, admit: { queuedLimit: before } });
      expect(r.job).toBeNull();
      expect(r.controls?.queued).toBe(before);
      expect(await traces(j.id)).toEqual({ job: 0, payload: 0, hold: 0 });
      // One more allowed: written.
      expect((await insertJobWithHold(db, { ...job(o, 10n), admit: { queuedLimit: before + 1 } })).job).not.toBeNull();
    });

    it("writes nothing while the organisation owes tokens", async () => {
      // What a refunded card payment leaves: the debt account below zero.
      const debt = orgAccount(o, "debt").code;
      await move([
        { code: debt, amount: -7n },
        { code: SYSTEM_ACCOUNTS.treasury.code, amount: 7n },
      ]);
      try {
        const j = job(o, 10n);
        const r = await insertJobWithHold(db, { ...j, admit: { queuedLimit: 100 } });
        expect(r).toEqual({ job: null, controls: expect.objectContaining({ debt: "-7" }) });
        expect(await traces(j.id)).toEqual({ job: 0, payload: 0, hold: 0 });
      } finally {
        await move([
          { code: SYSTEM_ACCOUNTS.treasury.code, amount: -7n },
          { code: debt, amount: 7n },
        ]);
      }
    });

    it("writes nothing when a monthly spend cap must be checked under its lock", async () => {
      await t.pool.query("INSERT INTO billing_settings (org_id, monthly_spend_cap) VALUES ($1::uuid, 1000000)", [o]);
      try {
        const j = job(o, 10n);
        const r = await insertJobWithHold(db, { ...j, admit: { queuedLimit: 100 } });
        expect(r).toEqual({ job: null, controls: expect.objectContaining({ org_cap: "1000000" }) });
        expect(await traces(j.id)).toEqual({ job: 0, payload: 0, hold: 0 });
      } finally {
        await t.pool.query("DELETE FROM billing_settings WHERE org_id = $1::uuid", [o]);
      }
    });
  });

  it("refuses a malformed hold before any SQL runs", async () => {
    const j = { ...job(org, 5n), hold: [{ code: available(org), amount: -5n }] };
    await expect(insertJobWithHold(db, j)).rejects.toMatchObject({ code: "unbalanced" });
    expect(await traces(j.id)).toEqual({ job: 0, payload: 0, hold: 0 });
  });

  it("property: after any mix of affordable and unaffordable submits, every job has its hold and the ledger balances", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: 1n, max: 400n }), { minLength: 1, maxLength: 12 }), async (prices) => {
        const start = await balances();
        let spent = 0n;
        for (const price of prices) {
          const j = job(org, price);
          const ok = await insertJobWithHold(db, j).then(
            () => true,
            (e: unknown) => {
              if (e instanceof LedgerError && e.code === "insufficient_funds") return false;
              throw e;
            },
          );
          // Affordable exactly when the balance covered it.
          expect(ok).toBe(start.available - spent >= price);
          if (ok) spent += price;
          const n = await traces(j.id);
          expect(n).toEqual(ok ? { job: 1, payload: 1, hold: 1 } : { job: 0, payload: 0, hold: 0 });
        }
        expect(await balances()).toEqual({ available: start.available - spent, held: start.held + spent });
        // No token was made or lost: each held job's price is in `held`, and the entries balance.
        const jobsHeld = (await t.pool.query("SELECT coalesce(sum(price), 0)::text AS s FROM jobs WHERE org_id = $1::uuid", [org])).rows[0]
          .s;
        expect(BigInt(jobsHeld)).toBe((await balances()).held);
        expect((await checkLedger(db)).ok).toBe(true);
        await grant(spent > 0n ? spent : 1n);
      }),
      { numRuns: 15 },
    );
  });
});
