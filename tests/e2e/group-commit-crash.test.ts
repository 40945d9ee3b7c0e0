import { createPrismaClient } from "@proofgrid/db/client";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerSnapshot } from "../support/ledger.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// Issue 15, group commit under kill -9. Three worker daemons (4 jobs at a time each) run
// tiny jobs through the real web process, which settles their completions in group commits
// (a 25 ms window, so groups form on this machine's load). Three times, the test watches
// Postgres for a group's transaction in flight (a backend inside the completion's
// statements) and kill -9s the web process at that moment, then starts it again on the same
// port. The workers' completions that were not answered are sent again on reconnect.
// Afterwards: every job ended, each succeeded one has exactly one settlement and its output,
// none that did not succeed was paid, no hold is left, and the books balance to the base unit
// (stored balances equal their entries, the checker pool's and protocol fee's deferred moves
// included).

const JOBS = 240;
const KILLS = 3;

let stack: Stack;
let prisma: ReturnType<typeof createPrismaClient>;
let watch: pg.Client;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 6_000, env: { COMPLETION_GROUP_WINDOW_MS: "25" } });
  prisma = createPrismaClient(stack.database.url, { maxConnections: 2 });
  watch = new pg.Client({ connectionString: stack.database.url });
  await watch.connect();
  const env = { CONCURRENCY: "4", RETRY_MAX_DELAY_MS: "500" };
  await Promise.all([stack.addWorker("g1", env), stack.addWorker("g2", env), stack.addWorker("g3", env)]);
});
afterAll(async () => {
  await watch?.end();
  await prisma?.$disconnect();
  await stack?.stop();
});

const settled = async () => prisma.ledgerTransfer.count({ where: { kind: "settle" } });

/** A backend of the web process inside a completion group's transaction, right now. */
async function groupInFlight(): Promise<boolean> {
  const r = await watch.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
       AND state IN ('active', 'idle in transaction')
       AND (query LIKE '%group_item%' OR query LIKE '%ledger_transfers%' OR query LIKE '%ledger_accounts%' OR query LIKE '%job_attempts SET outcome%')`,
  );
  return (r.rows[0]?.n ?? 0) > 0;
}

describe("group commit under kill -9 of the web process", () => {
  it("loses no completion and pays none twice", async () => {
    const ids: string[] = [];
    for (let start = 0; start < JOBS; start += 80) {
      const jobs = Array.from({ length: 80 }, (_, i) => ({ model: "encoder-synthetic-minilm", input: { text: `crash ${start + i}` } }));
      const r = await api<{ jobs: { id: string }[] }>(stack, "/api/v1/jobs/batch", { body: { jobs } });
      expect(r.status).toBe(201);
      ids.push(...r.body.jobs.map((j) => j.id));
    }

    let killedMidGroup = 0;
    for (let k = 1; k <= KILLS; k++) {
      const target = Math.floor((JOBS * k) / (KILLS + 2));
      await waitFor(`${target} settlements before kill ${k}`, async () => (await settled()) >= target, {
        timeoutMs: 120_000,
        intervalMs: 50,
      });
      // Catch a group's transaction open (it lasts milliseconds): poll, then kill at once.
      const caught = await waitFor(`a group in flight before kill ${k}`, groupInFlight, { timeoutMs: 10_000, intervalMs: 1 }).catch(
        () => false,
      );
      if (caught) killedMidGroup++;
      await stack.restartWeb(300, { kill: true });
    }
    // The kills landed inside open transactions, not only between them.
    expect(killedMidGroup).toBeGreaterThanOrEqual(1);

    await waitFor(
      "every job to end",
      async () =>
        (await prisma.job.count({ where: { id: { in: ids }, state: { in: ["succeeded", "failed", "expired", "canceled"] } } })) === JOBS,
      { timeoutMs: 180_000, intervalMs: 250 },
    );

    const jobs = await prisma.job.findMany({
      where: { id: { in: ids } },
      select: { id: true, state: true, receipt: true, payload: { select: { output: true } } },
    });
    const settles = await prisma.ledgerTransfer.groupBy({
      by: ["jobId"],
      where: { kind: "settle", jobId: { in: ids } },
      _count: { _all: true },
    });
    const settleCount = new Map(settles.map((s) => [s.jobId, s._count._all]));
    let succeeded = 0;
    for (const j of jobs) {
      if (j.state === "succeeded") {
        succeeded++;
        expect(settleCount.get(j.id), `job ${j.id} settlements`).toBe(1);
        expect(j.payload?.output, `job ${j.id} output`).toBeTruthy();
        expect(j.receipt, `job ${j.id} receipt`).toBeTruthy();
      } else {
        expect(settleCount.get(j.id) ?? 0, `job ${j.id} (${j.state}) paid`).toBe(0);
      }
    }
    // A job fails only by running out of attempts (three kills can cost a job at most three).
    expect(succeeded).toBeGreaterThanOrEqual(JOBS - 5);

    // What a worker was told is true: every completion a worker logged as accepted is an
    // attempt the platform recorded as succeeded (an answer sent before its group committed
    // would be lost with the kill, and the job paid to a later attempt instead).
    const told = stack.workers.flatMap((w) =>
      w.logs.flatMap((l) => {
        if (!l.includes('"msg":"job completed"')) return [];
        const m = JSON.parse(l) as { jobId: string; attempt: number };
        return [{ jobId: m.jobId, attempt: m.attempt }];
      }),
    );
    expect(told.length).toBeGreaterThanOrEqual(succeeded);
    const attempts = await prisma.jobAttempt.findMany({
      where: { jobId: { in: ids }, outcome: "succeeded" },
      select: { jobId: true, attempt: true },
    });
    const won = new Set(attempts.map((a) => `${a.jobId}:${a.attempt}`));
    expect(told.filter((t) => !won.has(`${t.jobId}:${t.attempt}`))).toEqual([]);

    // Groups of more than one completion were committed (in the web logs of every run).
    const groups = stack.webLogs.filter((l) => l.includes("completions settled in one group commit"));
    expect(groups.length).toBeGreaterThan(0);
    console.log(
      JSON.stringify({
        jobs: JOBS,
        succeeded,
        kills: KILLS,
        killedMidGroup,
        groupsOfMoreThanOne: groups.length,
        completionsTold: told.length,
      }),
    );

    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(snap.held).toBe(0n);
    expect(snap.check).toMatchObject({ ok: true, unbalancedTransfers: [], mismatchedAccounts: [], negativeAccounts: [], totalBalance: 0n });
    // The worker's 85 %, the checkers' 10 % and the protocol's 5 % of what was charged, no more.
    const charged = await prisma.$queryRaw<{ total: bigint }[]>`
      SELECT coalesce(sum(-e.amount), 0)::bigint AS total FROM ledger_entries e
      JOIN ledger_transfers t ON t.id = e.transfer_id JOIN ledger_accounts a ON a.id = e.account_id
      WHERE t.kind = 'settle' AND a.code LIKE 'org:%:held'`;
    expect(snap.checkerPool + snap.protocolFee + snap.providerEarnings).toBeLessThanOrEqual(BigInt(charged[0]?.total ?? 0n));
    expect(snap.checkerPool).toBeGreaterThan(0n);
  });
});
