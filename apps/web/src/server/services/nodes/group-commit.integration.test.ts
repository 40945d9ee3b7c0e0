import { checkLedger, getBalances, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { SqlClient, sql } from "@proofgrid/db/sql-client";
import pg from "pg";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { resetEnvCache } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { metrics } from "../../metrics.ts";
import { completeAs, encoderOutput, jobRow, setupEncoderMarket, type TestWorker, transfersOf } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { submitJob } from "../jobs/submit-job.ts";
import { nodeHeldCode } from "../verification/exposure.ts";

// Issue 15, group commit: completions that arrive together are settled in one transaction
// (complete-job.ts, completionGroup), each first phase in a savepoint, the checker pool's and
// the protocol fee's balances moved once per group. Real Postgres, the real service; what a
// user relies on: every accepted job paid exactly once, a refused one changing nothing even
// when it shared a group with accepted ones, and the books balancing to the base unit.
// (The same under kill -9 of the web process: tests/e2e/group-commit-crash.test.ts.)

setupServiceDatabase({ name: "group-commit", database: { maxConnections: 30 } });
const market = setupEncoderMarket();

afterEach(() => {
  delete process.env.COMPLETION_GROUP_WINDOW_MS;
  resetEnvCache();
});

/** The customer's job (the market's, or `orgId`'s) leased to `w`, as the dispatcher and the lease leave it. */
async function runningJob(w: TestWorker, text: string, orgId?: string): Promise<{ id: string; attempt: number }> {
  const id = orgId
    ? (await submitJob({ orgId, request: { model: "encoder-synthetic-minilm", input: { text } } })).id
    : await market.submit(text);
  await sql().$executeRaw`
    UPDATE jobs SET state = 'running', node_id = ${w.identity.id}::uuid, attempt = attempt + 1, unit_price = NULL,
      lease_expires_at = now() + interval '1 minute', started_at = now()
    WHERE id = ${id}::uuid`;
  return { id, attempt: (await jobRow(id)).attempt };
}

/** Groups committed and completions settled in them so far (this process's histogram). */
async function groupsSoFar(): Promise<{ groups: number; items: number }> {
  const h = await metrics().completionGroups.get();
  const count = h.values.find((v) => v.metricName === "proofgrid_completion_group_size_count")?.value ?? 0;
  const sum = h.values.find((v) => v.metricName === "proofgrid_completion_group_size_sum")?.value ?? 0;
  return { groups: count, items: sum };
}

const HOT = [SYSTEM_ACCOUNTS.checkerPool.code, SYSTEM_ACCOUNTS.protocolFee.code];

/** A completion's answer: its status, or the code of the error refusing it. */
const settledAs = (p: Promise<{ status: string }>) =>
  p.then(
    (r) => r.status,
    (e: { code?: string }) => `error ${e.code ?? String(e)}`,
  );

/** What the jobs' settlements credited each hot account, from their entries. */
async function hotCreditsOf(jobIds: string[]): Promise<bigint[]> {
  const rows = await sql().$queryRaw<{ code: string; total: string }[]>`
    SELECT a.code, sum(e.amount)::text AS total FROM ledger_entries e
    JOIN ledger_transfers t ON t.id = e.transfer_id JOIN ledger_accounts a ON a.id = e.account_id
    WHERE t.kind = 'settle' AND t.job_id = ANY(${jobIds}::uuid[]) AND a.code = ANY(${HOT}::text[])
    GROUP BY a.code`;
  return HOT.map((c) => BigInt(rows.find((r) => r.code === c)?.total ?? "0"));
}

const hotBalances = async () => {
  const b = await getBalances(sql(), HOT);
  return HOT.map((c) => b.get(c) ?? 0n);
};

describe("group commit of completions", () => {
  it("30 completions from 5 workers at once settle in fewer transactions, each paid exactly once, and retries pay nothing", async () => {
    const workers = await Promise.all(Array.from({ length: 5 }, () => market.worker({ maxConcurrency: 10 })));
    const jobs: { w: TestWorker; job: { id: string; attempt: number } }[] = [];
    for (let i = 0; i < 30; i++) {
      const w = workers[i % workers.length] as TestWorker;
      jobs.push({ w, job: await runningJob(w, `text ${i}`) });
    }
    const hotBefore = await hotBalances();
    const heldBefore = await getBalances(
      sql(),
      workers.map((w) => nodeHeldCode(w.identity.id)),
    );
    const groupsBefore = await groupsSoFar();

    const replies = await Promise.all(jobs.map(({ w, job }) => completeAs(w, job, encoderOutput(1))));
    expect(replies.map((r) => r.status)).toEqual(jobs.map(() => "accepted"));

    const groupsAfter = await groupsSoFar();
    expect(groupsAfter.items - groupsBefore.items).toBe(30);
    // Fewer COMMITs than completions: some shared a transaction.
    expect(groupsAfter.groups - groupsBefore.groups).toBeLessThan(30);

    for (const { job } of jobs) {
      expect(await transfersOf(job.id)).toEqual(["hold", "settle"]);
      expect((await jobRow(job.id)).state).toBe("succeeded");
    }
    // The hot accounts' balances moved once per group by exactly what the settlements' entries say.
    const credited = await hotCreditsOf(jobs.map((j) => j.job.id));
    const hotAfter = await hotBalances();
    expect(credited.every((c) => c > 0n)).toBe(true);
    expect(hotAfter).toEqual(hotBefore.map((b, i) => b + (credited[i] ?? 0n)));
    expect(await checkLedger(sql())).toMatchObject({
      ok: true,
      unbalancedTransfers: [],
      mismatchedAccounts: [],
      negativeAccounts: [],
      totalBalance: 0n,
    });

    // Every worker sends its results again (a retry after a lost answer): nothing moves.
    const heldAfter = await getBalances(
      sql(),
      workers.map((w) => nodeHeldCode(w.identity.id)),
    );
    expect([...heldAfter.values()].some((v, i) => v !== [...heldBefore.values()][i])).toBe(true);
    const again = await Promise.all(jobs.map(({ w, job }) => completeAs(w, job, encoderOutput(1))));
    expect(again.map((r) => r.status)).toEqual(jobs.map(() => "already_completed"));
    expect(again.map((r) => r.receipt)).toEqual(replies.map((r) => r.receipt));
    expect(await hotBalances()).toEqual(hotAfter);
    expect(
      await getBalances(
        sql(),
        workers.map((w) => nodeHeldCode(w.identity.id)),
      ),
    ).toEqual(heldAfter);
  });

  it("a refused completion in a group is rolled back alone: the others in its transaction are paid", async () => {
    process.env.COMPLETION_GROUP_WINDOW_MS = "200"; // one group, whatever the machine's speed
    resetEnvCache();
    const workers = await Promise.all(Array.from({ length: 3 }, () => market.worker({ maxConcurrency: 10 })));
    const jobs = [];
    for (let i = 0; i < 10; i++) {
      const w = workers[i % workers.length] as TestWorker;
      jobs.push({ w, job: await runningJob(w, `mixed ${i}`), stale: i % 3 === 1 });
    }
    const groupsBefore = await groupsSoFar();
    const outcomes = await Promise.all(
      jobs.map(({ w, job, stale }) =>
        // A stale attempt (a lease this worker lost) is refused inside the group's transaction.
        completeAs(w, stale ? { id: job.id, attempt: job.attempt + 1 } : job, encoderOutput(1)).then(
          (r) => r.status as string,
          (e: unknown) => (e instanceof AppError ? e.code : String(e)),
        ),
      ),
    );
    expect(outcomes).toEqual(jobs.map((j) => (j.stale ? "CONFLICT" : "accepted")));
    const groupsAfter = await groupsSoFar();
    // The refused items were in the group too (counted), and the window made it one group.
    expect(groupsAfter.groups - groupsBefore.groups).toBe(1);
    for (const { job, stale } of jobs) {
      const row = await jobRow(job.id);
      expect(row.state).toBe(stale ? "running" : "succeeded");
      expect(row.payload?.output ?? null).toEqual(stale ? null : encoderOutput(1));
      expect(await transfersOf(job.id)).toEqual(stale ? ["hold"] : ["hold", "settle"]);
    }
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("a completion alone in its group (no savepoint) and refused leaves nothing of it, and its retry on the right attempt is paid", async () => {
    const w = await market.worker();
    const job = await runningJob(w, "alone");
    const hotBefore = await hotBalances();
    expect(await settledAs(completeAs(w, { id: job.id, attempt: job.attempt + 1 }, encoderOutput(1)))).toBe("error CONFLICT");
    const row = await jobRow(job.id);
    expect(row.state).toBe("running");
    expect(row.payload?.output ?? null).toBeNull();
    expect(await transfersOf(job.id)).toEqual(["hold"]);
    expect(await hotBalances()).toEqual(hotBefore);
    expect(await settledAs(completeAs(w, job, encoderOutput(1)))).toBe("accepted");
    expect(await transfersOf(job.id)).toEqual(["hold", "settle"]);
  });

  it("a group whose settlement phase fails runs each completion alone: one bad settlement refuses only its own job", async () => {
    process.env.COMPLETION_GROUP_WINDOW_MS = "200";
    resetEnvCache();
    const w = await market.worker({ maxConcurrency: 10 });
    const jobs = [];
    for (let i = 0; i < 6; i++) jobs.push(await runningJob(w, `settle ${i}`));
    const bad = jobs[2] as { id: string; attempt: number };
    // Its price above everything the customer holds: its settlement overdraws the held account.
    await sql().$executeRaw`UPDATE jobs SET price = 1000000000000000 WHERE id = ${bad.id}::uuid`;
    const hotBefore = await hotBalances();
    const outcomes = await Promise.all(
      jobs.map((job) =>
        completeAs(w, job, encoderOutput(1)).then(
          (r) => r.status as string,
          (e: unknown) => (e instanceof Error ? e.name : String(e)),
        ),
      ),
    );
    expect(outcomes).toEqual(jobs.map((j) => (j === bad ? "LedgerError" : "accepted")));
    const good = jobs.filter((j) => j !== bad);
    for (const job of good) expect(await transfersOf(job.id)).toEqual(["hold", "settle"]);
    expect(await transfersOf(bad.id)).toEqual(["hold"]);
    expect((await jobRow(bad.id)).state).toBe("running");
    const credited = await hotCreditsOf(good.map((j) => j.id));
    expect(await hotBalances()).toEqual(hotBefore.map((b, i) => b + (credited[i] ?? 0n)));
    expect((await checkLedger(sql())).ok).toBe(true);
    // Put right, the job is paid once.
    await sql().$executeRaw`UPDATE jobs SET price = (SELECT amount FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
      WHERE t.kind = 'hold' AND t.job_id = ${bad.id}::uuid AND e.amount > 0) WHERE id = ${bad.id}::uuid`;
    expect((await completeAs(w, bad, encoderOutput(1))).status).toBe("accepted");
    expect(await transfersOf(bad.id)).toEqual(["hold", "settle"]);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  describe("lock order (found by a review: each of these deadlocked before)", () => {
    const deadlocks = async () =>
      Number(
        (await sql().$queryRaw<{ d: string }[]>`SELECT deadlocks::text AS d FROM pg_stat_database WHERE datname = current_database()`)[0]
          ?.d,
      );
    /** Another transaction of its own connection, as another process's would be. */
    async function otherTransaction(): Promise<{ client: pg.Client; pid: number }> {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      const pid = (await client.query<{ p: number }>("SELECT pg_backend_pid() AS p")).rows[0]?.p ?? 0;
      await client.query("BEGIN");
      return { client, pid };
    }
    /** Until `n` backends other than `except` wait on a lock. */
    async function lockWaiters(n: number, except: number): Promise<void> {
      for (let i = 0; i < 500; i++) {
        const r = await sql().$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> ${except} AND wait_event_type = 'Lock'`;
        if ((r[0]?.n ?? 0) >= n) return;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error(`never ${n} lock waiters`);
    }

    it("a transfer that locks the checker pool first, as every transfer does, then the customer's accounts, waits for a group and does not deadlock it", async () => {
      const w = await market.worker({ maxConcurrency: 10 });
      const job = await runningJob(w, "pool first");
      const before = await deadlocks();
      const t = await otherTransaction();
      // The order a reservation bill or an epoch's close takes: checker_pool sorts first.
      await t.client.query("SELECT balance FROM ledger_accounts WHERE code = 'checker_pool' FOR UPDATE");
      const completion = settledAs(completeAs(w, job, encoderOutput(1)));
      await lockWaiters(1, t.pid);
      await postTransfer(new SqlClient(t.client as unknown as pg.PoolClient), {
        idempotencyKey: `bill-${job.id}`,
        kind: "reservation_bill",
        legs: [
          // The customer's held account: the one the group's settlement debits.
          { code: orgAccountCode(market.customer, "available"), amount: -3n },
          { code: orgAccountCode(market.customer, "held"), amount: 1n },
          { code: SYSTEM_ACCOUNTS.checkerPool.code, amount: 1n },
          { code: SYSTEM_ACCOUNTS.protocolFee.code, amount: 1n },
        ],
      });
      await t.client.query("COMMIT");
      await t.client.end();
      expect(await completion).toBe("accepted");
      expect(await deadlocks()).toBe(before);
      expect((await checkLedger(sql())).ok).toBe(true);
    });

    it("two groups in flight for different customers and nodes take the hot accounts one after the other, without a deadlock", async () => {
      const c1 = await createOrg(`gc-c1-${Date.now()}`, "customer", 1_000_000_000n);
      const c2 = await createOrg(`gc-c2-${Date.now()}`, "customer", 1_000_000_000n);
      const w1 = await market.worker({ maxConcurrency: 10 });
      const w2 = await market.worker({ maxConcurrency: 10 });
      const j1 = await runningJob(w1, "first group", c1);
      const j2 = await runningJob(w2, "second group", c2);
      const before = await deadlocks();
      // Held by another transaction so both groups reach their settlement phase before either ends.
      const t = await otherTransaction();
      await t.client.query("SELECT 1 FROM ledger_accounts WHERE code = 'checker_pool' FOR NO KEY UPDATE");
      const done = Promise.all([settledAs(completeAs(w1, j1, encoderOutput(1))), settledAs(completeAs(w2, j2, encoderOutput(1)))]);
      await lockWaiters(2, t.pid);
      await t.client.query("COMMIT");
      await t.client.end();
      expect(await done).toEqual(["accepted", "accepted"]);
      expect(await deadlocks()).toBe(before);
      expect((await checkLedger(sql())).ok).toBe(true);
    });

    it("a node's row held by another transaction refuses that node's completion alone after the lock timeout; the others in its group are paid", async () => {
      process.env.COMPLETION_GROUP_WINDOW_MS = "100";
      resetEnvCache();
      const busy = await market.worker({ maxConcurrency: 10 });
      const others = await Promise.all(Array.from({ length: 3 }, () => market.worker({ maxConcurrency: 10 })));
      const busyJob = await runningJob(busy, "busy node");
      const otherJobs = await Promise.all(others.map((w, i) => runningJob(w, `other ${i}`)));
      const t = await otherTransaction();
      // A check verdict on the node holds its row (the completion's sampling updates it).
      await t.client.query("SELECT 1 FROM nodes WHERE id = $1 FOR UPDATE", [busy.identity.id]);
      const outcomes = await Promise.all([
        settledAs(completeAs(busy, busyJob, encoderOutput(1))),
        ...others.map((w, i) => settledAs(completeAs(w, otherJobs[i] as { id: string; attempt: number }, encoderOutput(1)))),
      ]);
      // Still inside the other transaction: nothing waited for it to end.
      expect(outcomes).toEqual(["error 55P03", "accepted", "accepted", "accepted"]);
      expect((await jobRow(busyJob.id)).state).toBe("running");
      await t.client.query("COMMIT");
      await t.client.end();
      // Its worker's retry, once the row is free, is paid once.
      expect((await completeAs(busy, busyJob, encoderOutput(1))).status).toBe("accepted");
      expect(await transfersOf(busyJob.id)).toEqual(["hold", "settle"]);
      expect((await checkLedger(sql())).ok).toBe(true);
    });
  });

  it("property: whatever mix of fresh, repeated and stale completions arrives together, each job is paid at most once, every 'accepted' is a stored success, and no account gains what another did not lose", async () => {
    process.env.COMPLETION_GROUP_WINDOW_MS = "30";
    resetEnvCache();
    const workers = await Promise.all(Array.from({ length: 3 }, () => market.worker({ maxConcurrency: 50 })));
    const kinds = ["fresh", "repeat", "stale", "late-repeat"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ worker: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom(...kinds) }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (plan) => {
          const jobs = [];
          for (const [i, p] of plan.entries()) {
            const w = workers[p.worker] as TestWorker;
            jobs.push({ ...p, w, job: await runningJob(w, `prop ${i}`) });
          }
          const hotBefore = await hotBalances();
          const calls: { jobId: string; attempt: number; p: Promise<string> }[] = [];
          for (const j of jobs) {
            const attempt = j.kind === "stale" ? j.job.attempt + 1 : j.job.attempt;
            const send = () => settledAs(completeAs(j.w, { id: j.job.id, attempt }, encoderOutput(1)));
            calls.push({ jobId: j.job.id, attempt, p: send() });
            if (j.kind === "repeat") calls.push({ jobId: j.job.id, attempt, p: send() });
          }
          const answers = await Promise.all(calls.map((c) => c.p));
          // A repeat sent after the first answer came back.
          for (const j of jobs.filter((x) => x.kind === "late-repeat"))
            answers.push(await settledAs(completeAs(j.w, j.job, encoderOutput(1))));
          for (const j of jobs) {
            const row = await jobRow(j.job.id);
            const kinds = await transfersOf(j.job.id);
            const mine = calls.map((c, i) => ({ ...c, answer: answers[i] })).filter((c) => c.jobId === j.job.id);
            if (j.kind === "stale") {
              expect(mine.map((c) => c.answer)).toEqual(["error CONFLICT"]);
              expect(row.state).toBe("running");
              expect(kinds).toEqual(["hold"]);
            } else {
              // Exactly one of its calls was the one that settled it; any other found it done.
              expect(mine.filter((c) => c.answer === "accepted")).toHaveLength(1);
              expect(mine.every((c) => c.answer === "accepted" || c.answer === "already_completed")).toBe(true);
              expect(row.state).toBe("succeeded");
              expect(kinds).toEqual(["hold", "settle"]);
            }
          }
          const paid = jobs.filter((j) => j.kind !== "stale").map((j) => j.job.id);
          const credited = await hotCreditsOf(paid);
          expect(await hotBalances()).toEqual(hotBefore.map((b, i) => b + (credited[i] ?? 0n)));
          expect(await checkLedger(sql())).toMatchObject({ ok: true, totalBalance: 0n });
        },
      ),
      { numRuns: 12 },
    );
  });
});
