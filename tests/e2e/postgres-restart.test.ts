import { createPrismaClient } from "@proofgrid/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTextPng } from "../support/inputs.ts";
import { ledgerSnapshot, transferKindsByJob } from "../support/ledger.ts";
import { type RestartablePostgres, startRestartablePostgres } from "../support/postgres-server.ts";
import { speechRecording } from "../support/speech.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// Postgres stopped and started under a running marketplace: the web app, the coordinator
// and two workers keep running (none is restarted) while the database goes away twice,
// once as a crash would take it (immediate shutdown: no checkpoint, crash recovery on
// start) and once cleanly (fast shutdown: clients are told and disconnected). A customer
// keeps submitting, retrying each submit with its idempotency key until it is answered.

let pg: RestartablePostgres;
let stack: Stack;
let inputs: { model: string; input: unknown }[];

beforeAll(async () => {
  pg = await startRestartablePostgres();
  // A 5 s lease (three heartbeats): an outage of about two seconds is ridden out by the
  // holder's next heartbeat, or the job is leased again; either way it must finish once.
  stack = await startStack({
    database: { url: pg.url, drop: async () => {} },
    leaseMs: 5_000,
    env: { LOG_LEVEL: "warn", LEADER_RETRY_MS: "500" },
  });
  await stack.addWorker("pg-w1", { RETRY_MAX_DELAY_MS: "1000" });
  await stack.addWorker("pg-w2", { RETRY_MAX_DELAY_MS: "1000" });
  const png = await renderTextPng(["database restarts", "lose nothing"], { fontSize: 32, width: 600 });
  inputs = [
    { model: "ocr-ppocr-v4", input: { image: png.toString("base64") } },
    { model: "vad-silero-v5", input: { audio: speechRecording().wav.toString("base64") } },
    { model: "encoder-synthetic-minilm", input: { text: "a database restart mid-run" } },
  ];
});
afterAll(async () => {
  if (process.env.FAULTS_LOG_DIR && stack) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${process.env.FAULTS_LOG_DIR}/web.log`, stack.webLogs.join("\n"));
    writeFileSync(`${process.env.FAULTS_LOG_DIR}/coordinator.log`, stack.coordinatorLogs.join("\n"));
    for (const w of stack.workers) writeFileSync(`${process.env.FAULTS_LOG_DIR}/${w.name}.log`, w.logs.join("\n"));
  }
  await stack?.stop();
  await pg?.destroy();
});

interface JobOut {
  id: string;
  state: string;
  attempt: number;
  error: string | null;
}

/** Every answer the customer got while retrying: status → count. */
const statuses = new Map<number, number>();

/** A customer's submit: answered or retried with the same key (bounded), as an SDK does. */
async function submitUntilAnswered(key: string, body: { model: string; input: unknown }): Promise<{ id: string; retries: number }> {
  for (let retries = 0; retries < 120; retries++) {
    try {
      const res = await api<JobOut>(stack, "/api/v1/jobs", { body: { ...body, idempotencyKey: key } });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 201 || res.status === 200) return { id: res.body.id, retries };
      // 5xx while the database is away; anything else is a real refusal.
      if (res.status < 500) throw new Error(`submit ${key} refused: ${res.status} ${JSON.stringify(res.body)}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("submit ")) throw err;
      // connection refused or reset: the web app's answer was lost, try again
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`submit ${key} never answered`);
}

/** Counts rows straight from Postgres, tolerating its absence (then: null). */
async function runningJobs(prisma: ReturnType<typeof createPrismaClient>): Promise<number | null> {
  try {
    return await prisma.job.count({ where: { state: "running" } });
  } catch {
    return null;
  }
}

describe("Postgres restarts under running workers", () => {
  it("loses no job, pays each once, and every process recovers without a restart", async () => {
    const pids = [stack.web.child.pid, stack.coordinator?.child.pid, ...stack.workers.map((w) => w.proc.child.pid)];
    const prisma = createPrismaClient(pg.url, { maxConnections: 2 });
    const before = await ledgerSnapshot(pg.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });

    // The customer: one job every 150 ms until told to stop, each retried until answered.
    const submitted: Promise<{ id: string; retries: number }>[] = [];
    let stopSubmitting = false;
    const submitter = (async () => {
      for (let i = 0; !stopSubmitting && i < 400; i++) {
        const spec = inputs[i % inputs.length] as { model: string; input: unknown };
        submitted.push(submitUntilAnswered(`pg-restart-${i}`, spec));
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    const outages: { mode: string; downMs: number }[] = [];
    const modes = (process.env.FAULTS_PG_MODES ?? "immediate,fast,immediate,fast").split(",") as ("immediate" | "fast")[];
    for (const mode of modes) {
      // Workers are mid-job when the database goes away.
      await waitFor("a job running on a worker", async () => ((await runningJobs(prisma)) ?? 0) > 0, { timeoutMs: 60_000, intervalMs: 10 });
      const r = await pg.restart({ mode, downMs: Number(process.env.FAULTS_PG_DOWN_MS ?? 500) });
      outages.push({ mode, ...r });
      // Let the platform work a while between the outages.
      await new Promise((r) => setTimeout(r, Number(process.env.FAULTS_PG_GAP_MS ?? 1_500)));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    stopSubmitting = true;
    await submitter;
    const jobs = await Promise.all(submitted);
    expect(jobs.length).toBeGreaterThan(20);
    // Some submits really did meet the outage and were retried; while the database was
    // away the answer was 503 (retry), never a 500.
    expect(jobs.some((j) => j.retries > 0)).toBe(true);
    expect(
      [...statuses.keys()].filter((s) => s !== 201 && s !== 503),
      JSON.stringify([...statuses]),
    ).toEqual([]);

    // Every job ends succeeded: nothing lost, nothing failed for the database's sake.
    const ids = jobs.map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length); // a retried submit never made a second job
    const finished = await waitFor(
      "every job to finish",
      async () => {
        const rows = await prisma.job.findMany({
          where: { id: { in: ids } },
          select: { id: true, state: true, attempt: true, error: true },
        });
        return rows.length === ids.length && rows.every((r) => ["succeeded", "failed", "canceled", "expired"].includes(r.state))
          ? rows
          : null;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    ).catch(async (err) => {
      const open = await prisma.job.findMany({
        where: { id: { in: ids }, state: { in: ["queued", "assigned", "running"] } },
        select: { id: true, state: true, attempt: true, nodeId: true, leaseExpiresAt: true },
      });
      // Why the workers do not take them: their state, stake, exposure and open checks.
      const nodes = await prisma.$queryRaw<unknown[]>`
        SELECT n.name, n.status::text, n.quarantine_reason, n.last_seen_at,
          (SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':stake')::text AS bonded,
          (SELECT coalesce(sum(charge), 0) FROM held_earnings h WHERE h.node_id = n.id AND h.state = 'held')::text AS held,
          (SELECT count(*) FROM checks c WHERE c.subject_node_id = n.id AND c.status IN ('queued', 'leased'))::int AS open_checks
        FROM nodes n`;
      const customer = await prisma.$queryRaw<unknown[]>`
        SELECT code, balance::text FROM ledger_accounts WHERE org_id = ${stack.seed.customerOrgId}::uuid`;
      const warnings = [...stack.workers.flatMap((w) => w.logs.map((l) => `${w.name}: ${l}`)), ...stack.webLogs.map((l) => `web: ${l}`)]
        .filter((l) => /"level":(40|50|60)/.test(l))
        .slice(-12)
        .map((l) => l.slice(0, 400));
      throw new Error(
        `${String(err)}: ${JSON.stringify(open)}; last warnings ${JSON.stringify(warnings)}; nodes ${JSON.stringify(nodes)}; customer ${JSON.stringify(customer)}`,
      );
    });
    const notSucceeded = finished.filter((r) => r.state !== "succeeded");
    expect(notSucceeded, JSON.stringify(notSucceeded)).toEqual([]);

    // Each job held once and settled once: no double settlement, no release.
    const perJob = await transferKindsByJob(prisma, ids);
    for (const id of ids) expect(perJob.get(id), id).toEqual({ hold: 1, settle: 1 });
    const after = await ledgerSnapshot(pg.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(
      after.check.ok,
      JSON.stringify(after.check, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    ).toBe(true);
    expect(after.held).toBe(before.held); // every hold was settled
    const charged = before.available - after.available;
    expect(
      after.providerEarnings -
        before.providerEarnings +
        (after.checkerPool - before.checkerPool) +
        (after.protocolFee - before.protocolFee),
    ).toBe(charged);

    // No process was restarted: the same pids, all still running.
    const now = [stack.web.child.pid, stack.coordinator?.child.pid, ...stack.workers.map((w) => w.proc.child.pid)];
    expect(now).toEqual(pids);
    for (const p of [stack.web, stack.coordinator, ...stack.workers.map((w) => w.proc)]) expect(p?.child.exitCode ?? null).toBeNull();

    // The coordinator and the dispatcher lead again (their advisory locks are held), and the web
    // app LISTENs again: the wake-ups are back, not only the polling fallback.
    const health = await waitFor(
      "the leader lock and the LISTEN connections to come back",
      async () => {
        const rows = await prisma.$queryRaw<{ leader: number; dispatcher: number; listeners: string[] }[]>`
          SELECT (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND objid = 7264002 AND granted) AS leader,
                 (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND objid = 7264003 AND granted) AS dispatcher,
                 (SELECT coalesce(array_agg(application_name ORDER BY application_name), '{}') FROM pg_stat_activity
                   WHERE datname = current_database() AND application_name LIKE 'proofgrid-%-events') AS listeners`;
        const r = rows[0];
        return r && r.leader === 1 && r.dispatcher === 1 && r.listeners.includes("proofgrid-web-events") ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(health.leader).toBe(1);
    // The dispatcher leads again too, in the web process (DISPATCH_IN=web).
    expect(health.dispatcher).toBe(1);
    // Exactly one LISTEN connection per process that waits on job events, none left behind by
    // a reconnect: the web app's (its long-polls and the dispatcher it leads); the coordinator,
    // which no longer dispatches (DISPATCH_IN=web), has none.
    expect(health.listeners).toEqual(["proofgrid-web-events"]);
    console.log(
      JSON.stringify({
        scenario: "postgres-restart",
        jobs: ids.length,
        retriedSubmits: jobs.filter((j) => j.retries > 0).length,
        outages,
        attemptsOver1: finished.filter((r) => r.attempt > 1).length,
      }),
    );
    await prisma.$disconnect();
  });

  it("a lease that ran out while the database was down is not taken from its worker", async () => {
    const prisma = createPrismaClient(pg.url, { maxConnections: 2 });
    const lines = Array.from({ length: 24 }, (_, i) => `line ${i} of a page read across an outage`);
    const image = (await renderTextPng(lines, { fontSize: 28, width: 900 })).toString("base64");
    const { id } = await submitUntilAnswered("pg-grace", { model: "ocr-ppocr-v4", input: { image } });
    const held = await waitFor(
      "the job to run",
      async () => {
        const j = await prisma.job.findUnique({ where: { id }, select: { state: true, nodeId: true, attempt: true } });
        return j?.state === "running" && j.nodeId ? j : null;
      },
      { intervalMs: 10 },
    );
    const holder = stack.workers.find((w) => w.nodeId === held.nodeId);
    if (!holder) throw new Error("the job runs on no worker of this stack");
    // The holder is healthy but cannot be heard while the database is away. Frozen here so
    // that its first heartbeat after the outage cannot race the new leader's first sweep:
    // the outage alone must not cost it the job.
    holder.proc.child.kill("SIGSTOP");
    try {
      await pg.restart({ mode: "immediate", downMs: 6_000 }); // longer than the 5 s lease
      await waitFor(
        "the coordinator to lead again",
        async () => {
          const rows = await prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7264002 AND granted`.catch(() => []);
          return rows[0]?.n === 1;
        },
        { intervalMs: 100 },
      );
      // Some sweeps later (every 250 ms), the job is still the holder's.
      await new Promise((r) => setTimeout(r, 1_500));
      const during = await prisma.job.findUnique({ where: { id }, select: { state: true, nodeId: true, attempt: true } });
      expect(during).toEqual({ state: "running", nodeId: holder.nodeId, attempt: 1 });
    } finally {
      holder.proc.child.kill("SIGCONT");
    }
    const done = await waitFor(
      "the job to finish",
      async () => {
        const j = await prisma.job.findUnique({ where: { id }, select: { state: true, nodeId: true, attempt: true } });
        return j && j.state !== "running" && j.state !== "queued" && j.state !== "assigned" ? j : null;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(done).toEqual({ state: "succeeded", nodeId: holder.nodeId, attempt: 1 });
    const attempts = await prisma.jobAttempt.findMany({ where: { jobId: id }, select: { attempt: true, outcome: true } });
    expect(attempts).toEqual([{ attempt: 1, outcome: "succeeded" }]);
    await prisma.$disconnect();
  });
});
