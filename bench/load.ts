/**
 * `npm run bench:load` (issue 15): the data plane at a fixed arrival rate of tiny jobs, then a
 * burst at twice the rate, on real processes — embedded Postgres, the production web build,
 * the coordinator, worker daemons — or against a stack already running (`--url`).
 *
 * A customer with the demo API key sends `POST /v1/embeddings` (OpenAI-compatible: the answer
 * comes when the job has finished, so one request is one whole job's round trip) or, with
 * `--path jobs`, `POST /api/v1/jobs` (the submit alone: the queueing view), each with a text of
 * its own so neither idempotency nor a cache can answer for the platform. The arrival rate is
 * held open-loop (bench/lib/arrival-load.ts says how, and why not autocannon's `overallRate`
 * by default). Measured per phase: offered and achieved rate, p50/p95/p99 latency, non-2xx
 * answers, errors and timeouts; the burst's p99 against the steady p50 (goal ≤ 3); then, once
 * every job has ended, jobs by state, jobs lost, and the ledger check (drift must be 0).
 *
 * JSON lines (bench/report.ts) on stdout, progress on stderr. Exits 1 when the ledger check
 * is not clean or a job was lost (answered but never ended, or never recorded).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { createPrismaClient } from "@proofgrid/db/client";
import { createDatabase, dropDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { checkLedger } from "@proofgrid/db/ledger";
import { migrate } from "@proofgrid/db/migrate";
import { ensureWebBuild } from "../scripts/lib/processes.ts";
import { api, type Stack, startStack } from "../tests/support/stack.ts";
import { type LoadTarget, type Phase, type PhaseResult, runAutocannon, runOpenLoop } from "./lib/arrival-load.ts";
import { progress, quantile, report } from "./report.ts";

const MODEL = "encoder-synthetic-minilm";
const FINAL = ["succeeded", "failed", "canceled", "expired"];

/**
 * Jobs/s. `npm run bench` measures 15–17 tiny jobs/s through the API with 3 workers on this
 * 2-core machine (8 clients flat out): at 5/s the 2× burst (10/s) still fits under it, so the
 * burst measures queueing under a peak, not an overload that can only grow.
 */
const DEFAULT_RATE = 5;

function positive(max: number, integer = false) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > max || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(`a ${integer ? "whole " : ""}number in (0, ${max}]`);
    return n;
  };
}

/** Bounded to this machine: a load test aimed elsewhere by a typo would be an attack. */
function loopbackUrl(v: string): URL {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError("not a URL");
  }
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname))
    throw new InvalidArgumentError("loopback only (127.0.0.1, localhost, [::1])");
  // A database URL's `host` parameter overrides its hostname: a Unix socket's directory is
  // this machine's, any other host is not.
  for (const host of u.searchParams.getAll("host"))
    if (!host.startsWith("/")) throw new InvalidArgumentError("loopback only: a host parameter must be a Unix socket's directory");
  return u;
}

const program = new Command("bench:load")
  .description("Tiny jobs at a fixed arrival rate, then a 2× burst; latency, errors, and the ledger check afterwards.")
  .option("--rate <jobs/s>", "arrivals per second in the steady phase", positive(500), DEFAULT_RATE)
  .option("--seconds <s>", "length of the steady phase", positive(3600), 60)
  .option(
    "--burst-seconds <s>",
    "length of the burst at 2× the rate, right after the steady phase (0: none)",
    (v) => (v === "0" ? 0 : positive(3600)(v)),
    10,
  )
  .option("--workers <n>", "worker daemons of the stack this run starts", positive(8, true), 3)
  .addOption(
    new Option(
      "--path <path>",
      "embeddings: POST /v1/embeddings (answers when the job has finished); jobs: POST /api/v1/jobs (submit only)",
    )
      .choices(["embeddings", "jobs"])
      .default("embeddings"),
  )
  .addOption(
    new Option(
      "--engine <engine>",
      "open: open-loop scheduler (default); autocannon: autocannon's overallRate (closed loop per connection)",
    )
      .choices(["open", "autocannon"])
      .default("open"),
  )
  .option("--timeout-s <s>", "a request without an answer after this is a timeout", positive(600), 60)
  .option("--drain-s <s>", "how long to wait after the load for every job to end", positive(3600), 120)
  .option(
    "--max-in-flight <n>",
    "open requests at most; an arrival past it is dropped (counted as an error)",
    positive(100_000, true),
    2_000,
  )
  .option(
    "--url <url>",
    "an already running stack (loopback only), e.g. `npm start`'s http://127.0.0.1:3000; needs --key and --database-url",
    (v) => loopbackUrl(v).origin,
  )
  .option("--key <key>", "API key for --url (`npm start` prints a demo key)")
  .option(
    "--database-url <url>",
    "that stack's Postgres (loopback only; `npm start`'s: postgresql://postgres:postgres@127.0.0.1:54329/proofgrid): the job count and the ledger check read it directly, so it is required with --url",
    (v) => {
      loopbackUrl(v);
      return v;
    },
  )
  .addHelpText(
    "after",
    "\nWithout --url it starts its own stack (embedded Postgres, the production web build, the coordinator,\n" +
      "--workers workers) on free loopback ports and removes it afterwards. JSON lines on stdout, progress on stderr.\n" +
      "Exits 1 if the ledger check is not clean (drift ≠ 0) or a job was lost.\n",
  );
program.parse();
const OPT = program.opts<{
  rate: number;
  seconds: number;
  burstSeconds: number;
  workers: number;
  path: "embeddings" | "jobs";
  engine: "open" | "autocannon";
  timeoutS: number;
  drainS: number;
  maxInFlight: number;
  url?: string;
  key?: string;
  databaseUrl?: string;
}>();
if (OPT.url && (!OPT.key || !OPT.databaseUrl)) program.error("--url needs --key and --database-url (the ledger check reads the database)");
if (!OPT.url && (OPT.key || OPT.databaseUrl)) program.error("--key and --database-url go with --url");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
const runId = Date.now().toString(36);

/** What the customer sends and what names its job in the answer, for the chosen path. */
function target(url: string, apiKey: string): LoadTarget {
  // A different text per request: no cache or idempotency key can answer for the platform.
  const text = (i: number) => `load ${runId} request ${i}: the quick brown fox jumps over the lazy dog`;
  if (OPT.path === "embeddings")
    return {
      url,
      path: "/v1/embeddings",
      apiKey,
      body: (i) => ({ model: MODEL, input: text(i) }),
      jobIdOf: (_s, _b, headers) => headers["x-proofgrid-job-id"],
      timeoutMs: OPT.timeoutS * 1000,
    };
  return {
    url,
    path: "/api/v1/jobs",
    apiKey,
    body: (i) => ({ model: MODEL, input: { text: text(i) } }),
    jobIdOf: (_s, body) => {
      try {
        return (JSON.parse(body) as { id?: string }).id;
      } catch {
        return undefined;
      }
    },
    timeoutMs: OPT.timeoutS * 1000,
  };
}

/** Sequential requests (not counted) so each worker has loaded the model and the server is warm. */
async function warmUp(stack: Pick<Stack, "url" | "apiKey">, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await api<{ data?: unknown[] }>(stack as Stack, "/v1/embeddings", {
      body: { model: MODEL, input: `warm-up ${runId} ${i}` },
      timeoutMs: 60_000,
    });
    if (r.status !== 200) throw new Error(`warm-up /v1/embeddings answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  }
}

function reportPhase(r: PhaseResult): { p50: number; p99: number } {
  const { phase, requests } = r;
  const ok = requests.filter((q) => q.status !== undefined && q.status >= 200 && q.status < 300);
  const lat = ok.map((q) => q.latencyMs as number);
  const non2xx = requests.filter((q) => q.status !== undefined && (q.status < 200 || q.status >= 300));
  const byStatus: Record<string, number> = {};
  for (const q of non2xx) byStatus[String(q.status)] = (byStatus[String(q.status)] ?? 0) + 1;
  const errors = requests.filter((q) => q.error);
  const spanS = (r.endMs - r.startMs) / 1000;
  const prefix = `load_${phase.name}`;
  const where = `${OPT.path === "embeddings" ? "POST /v1/embeddings (whole job)" : "POST /api/v1/jobs (submit)"}, ${OPT.engine} engine`;
  report({
    name: `${prefix}_sent_rate`,
    value: requests.length / phase.seconds,
    unit: "req/s",
    baseline: phase.rate,
    note: `requests sent per second of the phase vs offered; ${where}`,
    detail: { sent: requests.length, seconds: phase.seconds, maxLagMs: Math.round(Math.max(0, ...requests.map((q) => q.lagMs))) },
  });
  report({
    name: `${prefix}_achieved_rate`,
    value: ok.length / spanS,
    unit: "req/s",
    baseline: phase.rate,
    note: "2xx answers per second, from the phase's start to its last answer, vs offered",
    detail: { ok: ok.length, spanS: Math.round(spanS * 10) / 10 },
  });
  const p50 = quantile(lat, 0.5);
  const p99 = quantile(lat, 0.99);
  report({ name: `${prefix}_latency_p50`, value: p50, unit: "ms", note: where });
  report({ name: `${prefix}_latency_p95`, value: quantile(lat, 0.95), unit: "ms", note: where });
  report({ name: `${prefix}_latency_p99`, value: p99, unit: "ms", note: where, detail: { max: Math.round(Math.max(0, ...lat)) } });
  report({
    name: `${prefix}_non2xx`,
    value: non2xx.length,
    unit: "count",
    goal: "0",
    detail: { byStatus, first: non2xx[0]?.detail },
  });
  report({
    name: `${prefix}_errors`,
    value: errors.length,
    unit: "count",
    goal: "0",
    note: "no answer: timeouts, connection errors, and arrivals dropped past --max-in-flight",
    detail: {
      timeouts: errors.filter((q) => q.error === "timeout").length,
      network: errors.filter((q) => q.error === "network").length,
      dropped: errors.filter((q) => q.error === "dropped").length,
      // autocannon engine: still out when its run ended (their jobs ran all the same).
      unanswered: errors.filter((q) => q.error === "unanswered").length,
      first: errors[0]?.detail,
    },
  });
  return { p50, p99 };
}

/**
 * Waits until every job of this run (its API key's, created since the load began, plus any
 * answered id) has ended, or the drain time is up. Returns jobs by state and the lost ones.
 */
async function drain(databaseUrl: string, apiKey: string, since: Date, answeredIds: string[]) {
  const prisma = createPrismaClient(databaseUrl, { maxConnections: 2 });
  try {
    const prefix = apiKey.split("_").slice(0, 2).join("_");
    const key = await prisma.apiKey.findUnique({ where: { prefix }, select: { id: true } });
    if (!key) throw new Error(`no API key with prefix ${prefix} in that database: is --database-url the stack's?`);
    const deadline = Date.now() + OPT.drainS * 1000;
    let lastNote = 0;
    for (;;) {
      const rows = await prisma.job.groupBy({
        by: ["state"],
        where: { apiKeyId: key.id, createdAt: { gte: since } },
        _count: { _all: true },
      });
      const byState = Object.fromEntries(rows.map((r) => [r.state, r._count._all])) as Record<string, number>;
      const open = rows.filter((r) => !FINAL.includes(r.state)).reduce((a, r) => a + r._count._all, 0);
      if (open === 0 || Date.now() > deadline) {
        const known = new Set<string>();
        for (let i = 0; i < answeredIds.length; i += 5_000) {
          const found = await prisma.job.findMany({ where: { id: { in: answeredIds.slice(i, i + 5_000) } }, select: { id: true } });
          for (const f of found) known.add(f.id);
        }
        const neverRecorded = answeredIds.filter((id) => !known.has(id)).length;
        return { byState, unfinished: open, neverRecorded, total: rows.reduce((a, r) => a + r._count._all, 0) };
      }
      if (Date.now() - lastNote > 5_000) {
        lastNote = Date.now();
        progress(`waiting for ${open} jobs to end (${JSON.stringify(byState)})`);
      }
      await sleep(250);
    }
  } finally {
    await prisma.$disconnect();
  }
}

async function ledger(databaseUrl: string) {
  const prisma = createPrismaClient(databaseUrl, { maxConnections: 2 });
  try {
    return await checkLedger(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

async function dbNow(databaseUrl: string): Promise<Date> {
  const prisma = createPrismaClient(databaseUrl, { maxConnections: 1 });
  try {
    const rows = await prisma.$queryRaw<{ now: Date }[]>`SELECT now() AS now`;
    return rows[0]?.now ?? new Date();
  } finally {
    await prisma.$disconnect();
  }
}

async function load(url: string, apiKey: string, databaseUrl: string): Promise<number> {
  const phases: Phase[] = [{ name: "steady", rate: OPT.rate, seconds: OPT.seconds }];
  if (OPT.burstSeconds > 0) phases.push({ name: "burst", rate: OPT.rate * 2, seconds: OPT.burstSeconds });
  const since = await dbNow(databaseUrl);
  progress(
    `load: ${phases.map((p) => `${p.name} ${p.rate}/s for ${p.seconds} s`).join(", then ")} → ${OPT.path === "embeddings" ? "POST /v1/embeddings" : "POST /api/v1/jobs"} (${OPT.engine})`,
  );
  const t = target(url, apiKey);
  const results =
    OPT.engine === "open"
      ? await runOpenLoop(t, phases, { maxInFlight: OPT.maxInFlight, onTick: progress })
      : await runAutocannon(t, phases);

  const stats = results.map(reportPhase);
  const steady = stats[0];
  const burst = stats[1];
  if (steady && burst)
    report({
      name: "load_burst_p99_over_steady_p50",
      value: burst.p99,
      unit: "ms",
      baseline: steady.p50,
      goal: "ratio <= 3",
      note: "p99 during the 2× burst vs p50 of the steady phase (issue 15)",
    });

  const all = results.flatMap((r) => r.requests);
  const answeredIds = all.flatMap((q) => (q.jobId ? [q.jobId] : []));
  const okWithoutId = all.filter((q) => q.status !== undefined && q.status >= 200 && q.status < 300 && !q.jobId).length;
  progress(`load done: ${all.length} requests, ${answeredIds.length} jobs named in 2xx answers; waiting for every job to end`);
  const jobs = await drain(databaseUrl, apiKey, since, answeredIds);
  const lost = jobs.unfinished + jobs.neverRecorded + okWithoutId;
  report({
    name: "load_jobs",
    value: jobs.total,
    unit: "jobs",
    note: "jobs of this API key created since the load began, by state, after the drain",
    detail: { byState: jobs.byState, requests: all.length, answered2xx: answeredIds.length + okWithoutId },
  });
  report({
    name: "load_jobs_lost",
    value: lost,
    unit: "jobs",
    goal: "0",
    note: `not ended ${OPT.drainS} s after the load, or answered 2xx but not in the database`,
    detail: { unfinished: jobs.unfinished, neverRecorded: jobs.neverRecorded, okWithoutJobId: okWithoutId },
  });

  const check = await ledger(databaseUrl);
  let drift = check.totalBalance < 0n ? -check.totalBalance : check.totalBalance;
  for (const a of check.mismatchedAccounts) drift += a.stored > a.computed ? a.stored - a.computed : a.computed - a.stored;
  report({
    name: "load_ledger_drift",
    value: Number(drift),
    unit: "base units",
    goal: "0",
    note: "checkLedger: |sum of all balances| + Σ|stored − recomputed| over accounts; must be 0 with every check clean",
    detail: {
      ok: check.ok,
      transfers: check.transfers,
      unbalancedTransfers: check.unbalancedTransfers.length,
      mismatchedAccounts: check.mismatchedAccounts.length,
      negativeAccounts: check.negativeAccounts.length,
    },
  });
  if (!check.ok || drift !== 0n) progress(`FAIL: ledger check not clean (drift ${drift} base units)`);
  if (lost > 0) progress(`FAIL: ${lost} jobs lost`);
  return check.ok && drift === 0n && lost === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  if (OPT.url) {
    progress(`against ${OPT.url} (not started here)`);
    await warmUp({ url: OPT.url, apiKey: OPT.key as string }, 6);
    return load(OPT.url, OPT.key as string, OPT.databaseUrl as string);
  }
  // The seed runs in this process: its info logs would mix with the JSON lines.
  process.env.LOG_LEVEL ??= "warn";
  ensureWebBuild(progress);
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-load-"));
  progress("starting embedded Postgres");
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), settings: { fsync: "off", synchronous_commit: "off" } });
  let stack: Stack | undefined;
  // The children run in their own process groups: a Ctrl-C reaches only this process, so it
  // stops them and the database before leaving.
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    progress(`${sig}: stopping the stack and Postgres`);
    void (async () => {
      await stack?.stop().catch(() => undefined);
      await pg.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    })();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const dbUrl = await createDatabase(pg.url, "bench_load");
    await migrate({ url: dbUrl });
    progress(`starting the web app, the coordinator and ${OPT.workers} workers`);
    stack = await startStack({
      database: { url: dbUrl, drop: () => dropDatabase(pg.url, "bench_load") },
      leaseMs: 15_000,
      env: { JOB_NOTIFY: "1", LOG_LEVEL: "warn" },
    });
    // Credits for any rate and length (the demo's 1,000 tokens are a bound a long run could reach).
    const { grantCredits } = await import("../apps/web/src/server/services/billing/grant-credits.ts");
    await grantCredits({
      orgId: stack.seed.customerOrgId,
      amount: 10_000_000n * 1_000_000n,
      idempotencyKey: "load:credits",
      memo: "bench:load credits",
    });
    for (let i = 0; i < OPT.workers; i++) await stack.addWorker(`w${i + 1}`, { LOG_LEVEL: "warn" });
    progress("warm-up (not counted)");
    await warmUp(stack, 3 * OPT.workers);
    return await load(stack.url, stack.apiKey, dbUrl);
  } finally {
    await stack?.stop().catch(() => undefined);
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
