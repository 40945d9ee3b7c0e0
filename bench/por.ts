/**
 * npm run bench:por — Proof of Render against cheaters, measured.
 *
 * For each cheating strategy, fresh cheater identities (Sybils: each one registered through
 * the real protocol, staked, and run by the worker daemon's own loop with a lying executor)
 * take customer jobs from the real web app while two honest checker processes re-execute a
 * sampled share p. An identity's trial ends when one of its results is proven wrong (it is
 * slashed and quarantined) or after a cap. From the trials: the measured probability of
 * detection within n jobs next to 1 − (1 − p·f)^n, the median jobs until detection, and the
 * expected gain per job f·((1 − p)·g − p·S) with the slash S actually applied. Then the lazy
 * checker (approves without computing) against planted wrong results, and the verification
 * overhead (checker compute / customer compute) of an honest worker.
 *
 * In the benchmark the cheaters run in this process (one daemon loop per identity, sharing
 * one inference thread pool) so that hundreds of identities cost no process start-ups; the
 * e2e tests (tests/e2e/proof-of-render.test.ts) run each cheater as its own process.
 *
 *   npm run bench:por -- [--trials 60] [--p 0.2] [--strategies random,replay,...]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDatabase, dropDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import { sql } from "@proofgrid/db/sql-client";
import { detectionProbability, expectedCheatingGain, splitReward } from "@proofgrid/por";
import { registerCommand } from "../apps/worker/src/commands/register.ts";
import { loadConfig } from "../apps/worker/src/config.ts";
import { runChecker } from "../apps/worker/src/daemon/run-checker.ts";
import { runWorker } from "../apps/worker/src/daemon/run-worker.ts";
import { loadIdentity } from "../apps/worker/src/identity/node-identity.ts";
import { InferencePool } from "../apps/worker/src/inference/inference-pool.ts";
import { createLogger } from "../apps/worker/src/logger.ts";
import { NodeClient } from "../apps/worker/src/protocol/node-client.ts";
import { ensureWebBuild } from "../scripts/lib/processes.ts";
import { type CheatStrategy, cheatingExecutor } from "../tests/support/cheaters/strategies.ts";
import { providerOrg } from "../tests/support/orgs.ts";
import { api, type Stack, startStack } from "../tests/support/stack.ts";
import { median, progress, report } from "./report.ts";

process.env.LOG_LEVEL ??= "warn";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "60" },
    p: { type: "string", default: "0.2" },
    slots: { type: "string", default: "4" },
    strategies: { type: "string", default: "random,replay,perturbed,cheaper,watched,partial" },
    "overhead-jobs": { type: "string", default: "300" },
    "lazy-trials": { type: "string" },
    /** stealth: can a worker tell challenges from customer jobs (issue 12); cheaters: detection of each strategy. */
    phases: { type: "string", default: "stealth,cheaters" },
    "stealth-jobs": { type: "string", default: "360" },
  },
});
const PHASES = new Set(values.phases.split(","));
const TRIALS = Number(values.trials);
const P = Number(values.p);
const SLOTS = Number(values.slots);
const PARTIAL_F = 0.1;
const PROBATION = 3;

interface StrategyPlan {
  strategy: CheatStrategy;
  /** Share of jobs faked after the honest prefix. */
  f: number;
  /** Jobs it runs honestly first (replay needs one to copy; watched believes it is on probation). */
  honestPrefix: number;
  label: string;
}

const PLANS: Record<string, StrategyPlan> = {
  random: { strategy: "random", f: 1, honestPrefix: 0, label: "random outputs" },
  replay: { strategy: "replay", f: 1, honestPrefix: 1, label: "replayed outputs of earlier jobs" },
  perturbed: { strategy: "perturbed", f: 1, honestPrefix: 0, label: "model swap: weights perturbed by 1 %" },
  cheaper: { strategy: "cheaper", f: 1, honestPrefix: 0, label: "cheaper model (2 of 6 encoder layers)" },
  watched: { strategy: "watched", f: 1, honestPrefix: PROBATION, label: "honest only when it believes it is checked" },
  partial: { strategy: "partial", f: PARTIAL_F, honestPrefix: 0, label: "cheats on 10 % of jobs" },
};

function progressBar(done: number, total: number, what: string): void {
  const width = 30;
  const filled = Math.round((done / Math.max(1, total)) * width);
  process.stderr.write(`\r  ${what} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}   `);
  if (done >= total) process.stderr.write("\n");
}

async function waitQuiet(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await sql().$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM checks WHERE status IN ('waiting', 'queued', 'leased')`;
    if ((rows[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Keeps `depth` small encoder jobs queued until `stop`. */
function customerLoad(stack: Stack, depth: number, stop: AbortSignal): Promise<void> {
  let n = 0;
  const one = async (): Promise<void> => {
    while (!stop.aborted) {
      try {
        const res = await api<{ id: string }>(stack, "/api/v1/jobs", {
          body: {
            model: "encoder-synthetic-minilm",
            input: { text: `customer sentence ${n++} about verified inference ${Math.random()}` },
          },
        });
        if (res.status !== 201) throw new Error(`submit failed: ${JSON.stringify(res.body)}`);
        await api(stack, `/api/v1/jobs/${res.body.id}?wait=20000`);
      } catch (err) {
        // A kept-alive socket the server closed between requests: a client-side hiccup, not
        // a result; the load just goes on.
        progress(`customer load: ${String(err)} ${String((err as { cause?: unknown }).cause ?? "")}; retrying`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  return Promise.all(Array.from({ length: depth }, one)).then(() => undefined);
}

interface Identity {
  nodeId: string;
  cheated: Map<string, boolean>;
}

/** One cheater identity: register, stake, run the daemon until caught or `cap` jobs. */
async function runIdentity(stack: Stack, plan: StrategyPlan, pool: InferencePool, cap: number, index: number): Promise<Identity> {
  const { demoRegistrationToken, stakeMinimumFor } = await import("../apps/web/src/server/services/seed/seed-demo.ts");
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-cheater-"));
  const config = loadConfig({
    PROOFGRID_URL: stack.url,
    PROOFGRID_NODE_DIR: dir,
    CONCURRENCY: 1,
    SHUTDOWN_GRACE_MS: 2_000,
    LOG_LEVEL: "silent",
    LEASE_WAIT_MS: 2_000,
  });
  const token = await demoRegistrationToken(stack.seed.providerOrgId, stack.url);
  const reg = await registerCommand({ config, token, name: `${plan.strategy}-${index}`, region: "local", cuPerHour: 3_600 });
  await stakeMinimumFor(reg.nodeId);
  const identity = loadIdentity(dir);
  const cheated = new Map<string, boolean>();
  const stop = new AbortController();
  const execute = cheatingExecutor({
    strategy: plan.strategy,
    fraction: plan.f,
    probationJobs: PROBATION,
    record: (l) => cheated.set(l.jobId, l.cheated),
  });
  const watcher = (async () => {
    while (!stop.signal.aborted) {
      await new Promise((r) => setTimeout(r, 200));
      const rows = await sql().$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM nodes WHERE id = ${reg.nodeId}::uuid`;
      if (rows[0]?.status === "quarantined" || cheated.size >= cap) stop.abort();
    }
  })();
  await runWorker({
    config,
    identity,
    client: new NodeClient(identity, config.REQUEST_TIMEOUT_MS),
    pool,
    log: createLogger("silent", {}),
    stop: stop.signal,
    execute,
  });
  await watcher;
  rmSync(dir, { recursive: true, force: true });
  return { nodeId: reg.nodeId, cheated };
}

const LETTER: Record<string, string> = { unverified: ".", pending: "p", verified: "v", disputed: "d", inconclusive: "i", refunded: "R" };

/** Jobs until the first proven-wrong result (1-based, after the honest prefix), or null;
 * and the identity's jobs as letters (. not sampled, v verified, R refunded, d/p/i open). */
async function jobsUntilDetection(id: Identity, honestPrefix: number): Promise<{ t: number | null; sequence: string }> {
  const rows = await sql().$queryRaw<{ id: string; verification: string }[]>`
    SELECT j.id, j.verification::text AS verification FROM job_attempts a JOIN jobs j ON j.id = a.job_id
    WHERE a.node_id = ${id.nodeId}::uuid AND a.outcome = 'succeeded' AND j.purpose = 'customer' ORDER BY a.leased_at`;
  const i = rows.findIndex((r) => r.verification === "refunded");
  return { t: i < 0 ? null : Math.max(1, i + 1 - honestPrefix), sequence: rows.map((r) => LETTER[r.verification] ?? "?").join("") };
}

async function measureStrategy(stack: Stack, plan: StrategyPlan, pool: InferencePool) {
  const pf = P * plan.f;
  // Each identity bonds its minimum stake from the demo provider's tokens: top them up.
  const { grantCredits } = await import("../apps/web/src/server/services/billing/grant-credits.ts");
  await grantCredits({
    orgId: stack.seed.providerOrgId,
    amount: BigInt(TRIALS) * 1_000n * 1_000_000n,
    idempotencyKey: `bench-stakes:${plan.strategy}`,
    memo: "bench stakes",
  });
  // Long enough that a trial almost surely ends in detection (99 %), capped for time.
  const cap = Math.min(400, plan.honestPrefix + Math.ceil(Math.log(0.01) / Math.log(1 - pf)));
  const stopLoad = new AbortController();
  const load = customerLoad(stack, SLOTS * 2, stopLoad.signal);
  const identities: Identity[] = [];
  let started = 0;
  progressBar(0, TRIALS, plan.strategy.padEnd(10));
  await Promise.all(
    Array.from({ length: SLOTS }, async () => {
      while (started < TRIALS) {
        const i = started++;
        identities.push(await runIdentity(stack, plan, pool, cap, i));
        progressBar(identities.length, TRIALS, plan.strategy.padEnd(10));
      }
    }),
  );
  stopLoad.abort();
  await load;
  await waitQuiet(120_000);
  const detections = await Promise.all(identities.map((id) => jobsUntilDetection(id, plan.honestPrefix)));
  const t = detections.map((d) => d.t);
  const caught = t.filter((x): x is number => x !== null);
  const n = Math.max(1, Math.round(1 / pf));
  const measured = t.filter((x) => x !== null && x <= n).length / t.length;
  const expected = detectionProbability(P, plan.f, n);
  const cheatedJobs = identities.reduce((a, id) => a + [...id.cheated.values()].filter(Boolean).length, 0);
  const allJobs = identities.reduce((a, id) => a + id.cheated.size, 0);
  // Gain g: what a faked job pays its worker (it saved at most that much compute). Slash S:
  // the mean actually taken from these identities.
  const prices = await sql().$queryRaw<{ price: bigint }[]>`
    SELECT avg(j.price)::bigint AS price FROM jobs j WHERE j.node_id = ANY(${identities.map((i) => i.nodeId)}::uuid[]) AND j.purpose = 'customer'`;
  const slashes = await sql().$queryRaw<{ amount: bigint; n: number }[]>`
    SELECT coalesce(avg(amount), 0)::bigint AS amount, count(*)::int AS n FROM slashes WHERE node_id = ANY(${identities.map((i) => i.nodeId)}::uuid[])`;
  const g = Number(splitReward(BigInt(prices[0]?.price ?? 0n)).worker);
  const S = Number(slashes[0]?.amount ?? 0n);
  const gain = expectedCheatingGain({ gain: g, p: P, f: plan.f, slash: S });
  return {
    plan,
    trials: t.length,
    caught: caught.length,
    n,
    measured,
    expected,
    withinTenPoints: Math.abs(measured - expected) <= 0.1,
    medianJobs: caught.length > t.length / 2 ? median([...t.map((x) => x ?? Number.POSITIVE_INFINITY)]) : Number.POSITIVE_INFINITY,
    expectedMedian: Math.ceil(Math.log(0.5) / Math.log(1 - pf)),
    fakedShare: allJobs ? cheatedJobs / allJobs : 0,
    gainPerJob: g,
    slash: S,
    expectedGainPerJob: gain,
    sequences: detections.map((d) => d.sequence),
  };
}

async function measureLazyChecker(stack: Stack, pool: InferencePool, plantedRate: number) {
  const identities: string[] = [];
  const stopLoad = new AbortController();
  const load = customerLoad(stack, 4, stopLoad.signal);
  const { demoRegistrationToken, stakeMinimumFor } = await import("../apps/web/src/server/services/seed/seed-demo.ts");
  const { grantCheckerLicence } = await import("../apps/web/src/server/services/verification/licences.ts");
  const orgId = await providerOrg("lazy-checkers", { licence: false });
  progressBar(0, Number(values["lazy-trials"] ?? TRIALS), "lazy      ");
  const trials = Number(values["lazy-trials"] ?? TRIALS);
  for (let i = 0; i < trials; i++) {
    await grantCheckerLicence({ orgSlug: "lazy-checkers" });
    const dir = mkdtempSync(join(tmpdir(), "proofgrid-lazy-"));
    const config = loadConfig({
      PROOFGRID_URL: stack.url,
      PROOFGRID_NODE_DIR: dir,
      CONCURRENCY: 1,
      LOG_LEVEL: "silent",
      LEASE_WAIT_MS: 2_000,
    });
    const token = await demoRegistrationToken(orgId, stack.url, "checker");
    const reg = await registerCommand({ config, token, name: `lazy-${i}`, region: "local", cuPerHour: 3_600 });
    await stakeMinimumFor(reg.nodeId);
    const identity = loadIdentity(dir);
    const stop = new AbortController();
    const watcher = (async () => {
      while (!stop.signal.aborted) {
        await new Promise((r) => setTimeout(r, 200));
        const rows = await sql().$queryRaw<{ status: string; tasks: number }[]>`
          SELECT status::text AS status, (SELECT count(*)::int FROM checks WHERE checker_node_id = n.id) AS tasks FROM nodes n WHERE id = ${reg.nodeId}::uuid`;
        if (rows[0]?.status === "quarantined" || (rows[0]?.tasks ?? 0) >= 60) stop.abort();
      }
    })();
    await runChecker({
      config,
      identity,
      client: new NodeClient(identity, config.REQUEST_TIMEOUT_MS),
      pool,
      log: createLogger("silent", {}),
      stop: stop.signal,
      execute: async (item) => ({ output: item.output, inferenceMs: 0 }),
    });
    await watcher;
    rmSync(dir, { recursive: true, force: true });
    identities.push(reg.nodeId);
    progressBar(i + 1, trials, "lazy      ");
  }
  stopLoad.abort();
  await load;
  const t: (number | null)[] = [];
  for (const id of identities) {
    const rows = await sql().$queryRaw<
      { kind: string }[]
    >`SELECT kind::text AS kind FROM checks WHERE checker_node_id = ${id}::uuid ORDER BY leased_at`;
    const i = rows.findIndex((r) => r.kind === "planted");
    t.push(i < 0 ? null : i + 1);
  }
  const q = plantedRate / (1 + plantedRate);
  const n = Math.max(1, Math.round(1 / q));
  const measured = t.filter((x) => x !== null && x <= n).length / t.length;
  return {
    trials: t.length,
    caught: t.filter((x) => x !== null).length,
    q,
    n,
    measured,
    expected: detectionProbability(q, 1, n),
    medianTasks: median(t.map((x) => x ?? Number.POSITIVE_INFINITY)),
  };
}

async function measureOverhead(stack: Stack, jobs: number) {
  const honest = await stack.addWorker("honest-overhead");
  const since = new Date();
  const { placeSpeech } = await import("@proofgrid/models/reference-inputs");
  const audio = placeSpeech(4, [0.5]).wav.toString("base64");
  for (let i = 0; i < jobs; i += 4) {
    await Promise.all(
      Array.from({ length: 4 }, async (_, k) => {
        const body =
          (i + k) % 2
            ? { model: "vad-silero-v5", input: { audio } }
            : { model: "encoder-synthetic-minilm", input: { text: `overhead sentence ${i + k} for the honest worker` } };
        const res = await api<{ id: string }>(stack, "/api/v1/jobs", { body });
        await api(stack, `/api/v1/jobs/${res.body.id}?wait=30000`);
      }),
    );
    progressBar(Math.min(jobs, i + 4), jobs, "overhead  ");
  }
  await waitQuiet(120_000);
  const [worker] = await sql().$queryRaw<{ ms: number; n: number; cu: number }[]>`
    SELECT coalesce(sum(a.inference_ms), 0)::float8 AS ms, count(*)::int AS n, coalesce(sum(j.cost_milli_cu), 0)::float8 AS cu
    FROM job_attempts a JOIN jobs j ON j.id = a.job_id
    WHERE a.node_id = ${honest.nodeId}::uuid AND a.outcome = 'succeeded' AND j.purpose = 'customer' AND a.leased_at >= ${since}`;
  const [checker] = await sql().$queryRaw<{ ms: number; reexec: number; planted: number }[]>`
    SELECT coalesce(sum((item->>'inferenceMs')::float8), 0)::float8 AS ms,
           count(DISTINCT c.id) FILTER (WHERE c.kind = 'reexecution')::int AS reexec, count(DISTINCT c.id) FILTER (WHERE c.kind = 'planted')::int AS planted
    FROM checks c CROSS JOIN LATERAL jsonb_array_elements(coalesce(c.evidence->'items', '[]'::jsonb)) item
    WHERE c.subject_node_id = ${honest.nodeId}::uuid AND c.status = 'done' AND c.created_at >= ${since}`;
  // Compute in CU, the platform's unit of compute (free of timing noise on a shared
  // machine): the re-executions of sampled jobs, and everything else checkers did for this
  // worker (planted results, disputes), each over what all of the worker's jobs cost.
  const [cu] = await sql().$queryRaw<{ reexec: number; extra: number }[]>`
    SELECT coalesce(sum(j.cost_milli_cu) FILTER (WHERE c.kind = 'reexecution'), 0)::float8 AS reexec,
           coalesce(sum(j.cost_milli_cu) FILTER (WHERE c.kind <> 'reexecution'), 0)::float8 AS extra
    FROM checks c JOIN jobs j ON j.id = c.job_id
    WHERE c.subject_node_id = ${honest.nodeId}::uuid AND c.status = 'done' AND c.created_at >= ${since}`;
  await honest.proc.stop(10_000);
  const customerCu = Math.max(1e-9, worker?.cu ?? 0);
  const recheck = (cu?.reexec ?? 0) / customerCu;
  const extra = (cu?.extra ?? 0) / customerCu;
  return {
    jobs: worker?.n ?? 0,
    cuRatio: recheck + extra,
    recheckCuShare: recheck,
    extraCuShare: extra,
    recheckJobShare: (checker?.reexec ?? 0) / Math.max(1, worker?.n ?? 1),
    workerMs: worker?.ms ?? 0,
    checkerMs: checker?.ms ?? 0,
    timeRatio: (checker?.ms ?? 0) / Math.max(1e-9, worker?.ms ?? 0),
    reexecuted: checker?.reexec ?? 0,
    planted: checker?.planted ?? 0,
  };
}

async function main() {
  ensureWebBuild(progress);
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-bench-por-"));
  progress("starting embedded Postgres");
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), settings: { fsync: "off", synchronous_commit: "off" } });
  const newDb = async (name: string) => {
    const url = await createDatabase(pg.url, name);
    await migrate({ url });
    return { url, drop: () => dropDatabase(pg.url, name) };
  };
  const pool = new InferencePool(SLOTS, { intraOpNumThreads: 1, graphOptimizationLevel: "all", executionProvider: "cpu" });
  const stacks: Stack[] = [];
  try {
    if (PHASES.has("stealth")) {
      const { runStealthBench } = await import("./por-stealth.ts");
      await runStealthBench({ database: await newDb("bench_por_stealth"), pool, jobs: Number(values["stealth-jobs"]) });
    }
    if (!PHASES.has("cheaters")) return;
    const plantedRate = 0.01;
    progress(`stack: re-execution rate p = ${P}, planted rate ${plantedRate}, two honest checkers of two providers`);
    const stack = await startStack({
      database: await newDb("bench_por"),
      leaseMs: 10_000,
      env: {
        POR_REEXEC_FLOOR: String(P),
        POR_REEXEC_CAP: String(P),
        POR_PLANTED_RATE: String(plantedRate),
        LOG_LEVEL: "warn",
        POR_CANARY_TICK_MS: "1000",
      },
    });
    stacks.push(stack);
    await stack.addWorker("checker-a", { CONCURRENCY: "2" }, { role: "checker" });
    await stack.addWorker("checker-b", { CONCURRENCY: "2" }, { role: "checker", orgId: await providerOrg("checkers-b") });

    const overhead = Number(values["overhead-jobs"]) > 0 ? await measureOverhead(stack, Number(values["overhead-jobs"])) : null;
    if (overhead)
      report({
        name: "por.overhead",
        value: overhead.cuRatio,
        unit: "ratio",
        baseline: overhead.recheckCuShare,
        goal: "overhead ≤ re-check rate + 0.01",
        detail: overhead,
      });

    const results = [];
    for (const name of values.strategies.split(",").filter(Boolean)) {
      const plan = PLANS[name];
      if (!plan) throw new Error(`unknown strategy ${name}`);
      const r = await measureStrategy(stack, plan, pool);
      results.push(r);
      report({ name: `por.detect.${name}`, value: r.measured, unit: "probability", detail: { ...r, plan: undefined, label: plan.label } });
    }

    let lazy: Awaited<ReturnType<typeof measureLazyChecker>> | null = null;
    if (Number(values["lazy-trials"] ?? TRIALS) > 0) {
      // One stack at a time: the in-process database clients follow DATABASE_URL.
      await stack.stop();
      stacks.length = 0;
      progress("stack for the lazy checker: every job re-executed, one planted result per two re-executions");
      const lazyStack = await startStack({
        database: await newDb("bench_por_lazy"),
        leaseMs: 10_000,
        env: { POR_REEXEC_FLOOR: "1", POR_REEXEC_CAP: "1", POR_PLANTED_RATE: "0.5", LOG_LEVEL: "warn", POR_CANARY_TICK_MS: "500" },
      });
      stacks.push(lazyStack);
      await lazyStack.addWorker("honest-worker", { CONCURRENCY: "2" });
      await lazyStack.addWorker("checker-a", {}, { role: "checker" });
      lazy = await measureLazyChecker(lazyStack, pool, 0.5);
      report({ name: "por.detect.lazy-checker", value: lazy.measured, unit: "probability", detail: lazy });
    }

    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "∞");
    console.error("\n  Proof of Render — detection at re-execution rate p = %s (%d trials per strategy)\n", P, TRIALS);
    console.error(
      "  %s | %s | %s | %s | %s | %s",
      "strategy".padEnd(44),
      "n",
      "measured P(≤n)",
      "1−(1−pf)^n",
      "median jobs (expected)",
      "E[gain]/job (base units)",
    );
    for (const r of results) {
      console.error(
        "  %s | %s | %s | %s | %s | %s",
        r.plan.label.padEnd(44),
        String(r.n).padStart(3),
        `${fmt(r.measured)}${r.withinTenPoints ? "" : " (!)"}`.padEnd(14),
        fmt(r.expected).padEnd(10),
        `${fmt(r.medianJobs)} (${r.expectedMedian})`.padEnd(22),
        `${Math.round(r.expectedGainPerJob)} (g ${r.gainPerJob}, S ${r.slash})`,
      );
    }
    if (lazy)
      console.error(
        "  %s | %s | %s | %s | %s |",
        "lazy checker vs planted results".padEnd(44),
        String(lazy.n).padStart(3),
        fmt(lazy.measured).padEnd(14),
        fmt(lazy.expected).padEnd(10),
        `${fmt(lazy.medianTasks)} tasks`.padEnd(22),
      );
    if (overhead)
      console.error(
        "\n  verification overhead over %d honest jobs: checker compute / customer compute = %s in CU = re-executions %s + everything else %s (goal: ≤ re-check rate + 0.01); configured p = %s, %d of %d jobs re-executed, %d planted; in measured inference time %s\n",
        overhead.jobs,
        overhead.cuRatio.toFixed(3),
        overhead.recheckCuShare.toFixed(3),
        overhead.extraCuShare.toFixed(3),
        P,
        overhead.reexecuted,
        overhead.jobs,
        overhead.planted,
        overhead.timeRatio.toFixed(3),
      );
  } finally {
    for (const s of stacks) await s.stop().catch(() => undefined);
    await pool.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
