/**
 * Where the per-job overhead goes (issue 15), for a tiny job (0.5 s of audio, Silero VAD):
 *   - the client's view, step by step: submit, dispatch (created → leased), the worker's
 *     round trip (leased → finished), delivery of the result to the waiting client;
 *   - every SQL statement the stack ran for those jobs (pg_stat_statements): calls and
 *     execution time per job, so the round trips can be counted, not guessed;
 *   - with `--cpu-prof`: each process's CPU per job by place (Next.js, pg, Prisma, zod, the
 *     app's bundle, Node's internals, GC) and its hottest functions; the `.cpuprofile` files
 *     are kept and open as flame graphs in Chrome DevTools or speedscope.
 * The web process runs its own server (the data plane served directly, the rest through
 * Next.js); the baseline, in the same run, is `next start` serving everything. The two take
 * turns (`--rounds`, each on a fresh database and stack), so drift in the machine's load
 * touches both alike; the samples of a server's rounds are pooled.
 *
 * `--web sessions` compares, the same way, workers on node sessions (one signed WebSocket,
 * the default) with workers on signed HTTP requests (`NODE_SESSION=off`), both on the web
 * process's own server.
 *
 *   npm run bench:overhead [-- --jobs 40] [-- --rounds 2] [-- --cpu-prof] [-- --web web-server|next-start|both|sessions]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPrismaClient } from "@proofgrid/db/client";
import { createDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import { syntheticWav } from "../apps/worker/src/bench/bench-inputs.ts";
import { ensureWebBuild } from "../scripts/lib/processes.ts";
import { api, startStack } from "../tests/support/stack.ts";
import { type CpuProfile, summarizeCpuProfile } from "./lib/cpu-profile.ts";
import { median, progress, report } from "./report.ts";

/** A way to run the stack: the web server, and the workers' transport. */
type WebServer = "web-server" | "next-start" | "web-server-http";
const VARIANTS: Record<WebServer, { webServer: "web-server" | "next-start"; workerEnv: Record<string, string> }> = {
  "web-server": { webServer: "web-server", workerEnv: {} },
  "next-start": { webServer: "next-start", workerEnv: {} },
  "web-server-http": { webServer: "web-server", workerEnv: { NODE_SESSION: "off" } },
};
const { values: args } = parseArgs({
  options: {
    jobs: { type: "string", default: "40" },
    rounds: { type: "string", default: "2" },
    "cpu-prof": { type: "boolean", default: false },
    web: { type: "string", default: "both" },
  },
});
const JOBS = Math.max(5, Number(args.jobs));
const ROUNDS = Math.max(1, Number(args.rounds));
const WARMUP = 5;
const SERVERS: WebServer[] =
  args.web === "both"
    ? ["next-start", "web-server"]
    : args.web === "sessions"
      ? ["web-server-http", "web-server"]
      : args.web === "web-server" || args.web === "next-start"
        ? [args.web]
        : [];
if (SERVERS.length === 0) throw new Error("--web is both (the default), sessions, web-server or next-start");

const STEPS = ["submit", "dispatch", "place", "offer", "worker", "deliver", "total", "inference", "added"] as const;
type Step = (typeof STEPS)[number];
interface Round {
  samples: Record<Step, number[]>;
  statements: { query: string; calls: number; total_ms: number }[];
  jobs: number;
  cpu: { group: string; file: string; busyMs: number; summary: ReturnType<typeof summarizeCpuProfile> }[];
}

ensureWebBuild(progress);
const dir = mkdtempSync(join(tmpdir(), "proofgrid-prof-"));
const profRoot = join(process.cwd(), "tmp/bench/cpu-prof", new Date().toISOString().replaceAll(":", "-"));
const pg = await startEmbeddedPostgres({
  dataDir: join(dir, "pg"),
  settings: { fsync: "off", shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "top" },
});
const input = { audio: syntheticWav(0.5).toString("base64") };

/** One stack on a fresh database, `JOBS` tiny jobs one after another after a warm-up. */
async function measure(server: WebServer, round: number): Promise<Round> {
  const url = await createDatabase(pg.url, `prof_${round}_${server.replaceAll("-", "_")}`);
  await migrate({ url });
  const profDir = join(profRoot, `${server}-${round}`);
  const profEnv = (name: string): Record<string, string> => {
    if (!args["cpu-prof"]) return {};
    mkdirSync(join(profDir, name), { recursive: true });
    return { NODE_OPTIONS: `--require ${join(import.meta.dirname, "lib/cpu-prof-preload.cjs")}`, CPU_PROF_DIR: join(profDir, name) };
  };
  // The web app and the coordinator share the stack's env; their profiles go to one folder and
  // are told apart by the process's main script (the file name). Node refuses --cpu-prof in
  // NODE_OPTIONS, so a preload profiles through the inspector (lib/cpu-prof-preload.cjs).
  const stack = await startStack({
    database: { url, drop: async () => {} },
    leaseMs: 15_000,
    webServer: VARIANTS[server].webServer,
    env: { LOG_LEVEL: "warn", ...profEnv("web-and-coordinator") },
  });
  await stack.addWorker("w1", { LOG_LEVEL: "warn", ...VARIANTS[server].workerEnv, ...profEnv("worker") });
  /** SIGUSR2 to every profiled process (lib/cpu-prof-preload.cjs): the first starts its profiler, the second writes it. */
  const signalProfiled = () => {
    if (!args["cpu-prof"]) return;
    for (const group of readdirSync(profDir))
      for (const pid of readFileSync(join(profDir, group, "pids"), "utf8")
        .split("\n")
        .filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGUSR2");
        } catch {
          // A process that exited (npm's wrapper) has nothing to profile.
        }
      }
  };
  const prisma = createPrismaClient(url, { maxConnections: 1 });
  await prisma.$executeRawUnsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  const client: { id: string; submit: number; total: number; inference: number }[] = [];
  for (let i = 0; i < JOBS + WARMUP; i++) {
    // After the warm-up: count only the measured jobs' statements, profile only their CPU.
    if (i === WARMUP) {
      await prisma.$queryRawUnsafe("SELECT pg_stat_statements_reset()");
      signalProfiled();
    }
    const t0 = performance.now();
    const sub = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: "vad-silero-v5", input } });
    const t1 = performance.now();
    const done = await api<{ receipt: { inferenceMs: number } }>(stack, `/api/v1/jobs/${sub.body.id}?wait=30000`);
    const t2 = performance.now();
    if (i >= WARMUP) client.push({ id: sub.body.id, submit: t1 - t0, total: t2 - t0, inference: done.body.receipt.inferenceMs });
    progress(`${server} round ${round + 1}/${ROUNDS}: job ${i + 1}/${JOBS + WARMUP}`);
  }
  signalProfiled();
  // Statements first: the bench's own reads below must not be counted.
  const statements = await prisma.$queryRawUnsafe<{ query: string; calls: bigint; total_ms: number }[]>(
    `SELECT query, calls, total_exec_time AS total_ms FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC`,
  );
  // Server-side timestamps (the database's clock) split the client's wait.
  const rows = await prisma.$queryRaw<{ id: string; created: Date; assigned: Date; leased: Date; finished: Date }[]>`
    SELECT j.id, j.created_at AS created, j.assigned_at AS assigned, a.leased_at AS leased, j.finished_at AS finished
    FROM jobs j JOIN job_attempts a ON a.job_id = j.id WHERE j.id = ANY(${client.map((c) => c.id)}::uuid[])`;
  await prisma.$disconnect();
  await stack.stop();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const samples = Object.fromEntries(STEPS.map((s) => [s, [] as number[]])) as Record<Step, number[]>;
  for (const c of client) {
    const r = byId.get(c.id);
    if (!r) continue;
    const dispatch = r.leased.getTime() - r.created.getTime();
    const worker = r.finished.getTime() - r.leased.getTime();
    samples.submit.push(c.submit);
    samples.dispatch.push(dispatch);
    // Dispatch in two: the placer's round (created → offered to a worker) and the offer's
    // trip to the worker and its claim (offered → leased).
    samples.place.push(r.assigned.getTime() - r.created.getTime());
    samples.offer.push(r.leased.getTime() - r.assigned.getTime());
    samples.worker.push(worker);
    // Delivery: what the client's wait leaves after the other steps (two clocks: roughly).
    samples.deliver.push(c.total - c.submit - dispatch - worker);
    samples.total.push(c.total);
    samples.inference.push(c.inference);
    samples.added.push(c.total - c.inference);
  }
  const cpu: Round["cpu"] = [];
  if (args["cpu-prof"]) {
    for (const group of readdirSync(profDir))
      for (const file of readdirSync(join(profDir, group)).filter((f) => f.endsWith(".cpuprofile"))) {
        const summary = summarizeCpuProfile(JSON.parse(readFileSync(join(profDir, group, file), "utf8")) as CpuProfile, 12);
        if (summary.busyMs >= 50) cpu.push({ group, file, busyMs: summary.busyMs, summary });
      }
  }
  return {
    samples,
    statements: statements.map((s) => ({ query: s.query, calls: Number(s.calls), total_ms: s.total_ms })),
    jobs: client.length,
    cpu,
  };
}

const rounds: Record<WebServer, Round[]> = { "web-server": [], "next-start": [], "web-server-http": [] };
for (let r = 0; r < ROUNDS; r++) for (const server of SERVERS) rounds[server].push(await measure(server, r));
await pg.stop();
rmSync(dir, { recursive: true, force: true });

const pooled = (server: WebServer, step: Step) => median(rounds[server].flatMap((r) => r.samples[step]));
const subject: WebServer = SERVERS.includes("web-server") ? "web-server" : "next-start";
const baseline: WebServer | undefined = SERVERS.length === 2 ? SERVERS[0] : undefined;
for (const step of STEPS) {
  report({
    name: `overhead_${step}_p50`,
    value: pooled(subject, step),
    unit: "ms",
    ...(baseline ? { baseline: pooled(baseline, step), note: `${subject} vs ${baseline}, ${ROUNDS} rounds each, samples pooled` } : {}),
  });
}
console.error("\n  The client's wait by step, p50 ms (%d jobs × %d rounds per server)\n", JOBS, ROUNDS);
console.error(`  ${"step".padEnd(10)}${SERVERS.map((s) => s.padStart(12)).join("")}${baseline ? "   ratio" : ""}`);
for (const step of STEPS) {
  const cells = SERVERS.map((s) => pooled(s, step).toFixed(1).padStart(12)).join("");
  const ratio = baseline ? `   ${(pooled(subject, step) / pooled(baseline, step)).toFixed(2)}` : "";
  console.error(`  ${step.padEnd(10)}${cells}${ratio}`);
}

for (const server of SERVERS) {
  const jobs = rounds[server].reduce((a, r) => a + r.jobs, 0);
  const perJob = (n: number) => n / jobs;
  const byQuery = new Map<string, { calls: number; total_ms: number }>();
  for (const s of rounds[server].flatMap((r) => r.statements)) {
    const q = byQuery.get(s.query) ?? { calls: 0, total_ms: 0 };
    q.calls += s.calls;
    q.total_ms += s.total_ms;
    byQuery.set(s.query, q);
  }
  const statements = [...byQuery].map(([query, s]) => ({ query, ...s })).sort((a, b) => b.total_ms - a.total_ms);
  const calls = statements.reduce((a, s) => a + s.calls, 0);
  const sqlMs = statements.reduce((a, s) => a + s.total_ms, 0);
  report({
    name: `overhead_sql_statements_per_job_${server}`,
    value: perJob(calls),
    unit: "statements",
    detail: { execMsPerJob: perJob(sqlMs), note: "BEGIN/COMMIT included; execution time only, not the round trip" },
  });
  console.error(
    "\n  %s — SQL per job (pg_stat_statements, top level, %d jobs): %s statements, %s ms executing\n",
    server,
    jobs,
    perJob(calls).toFixed(1),
    perJob(sqlMs).toFixed(2),
  );
  if (server !== subject) continue;
  console.error("  %s | %s | %s", "calls/job".padStart(9), "ms/job".padStart(7), "statement");
  for (const s of statements.slice(0, 25))
    console.error(
      "  %s | %s | %s",
      perJob(s.calls).toFixed(2).padStart(9),
      perJob(s.total_ms).toFixed(3).padStart(7),
      s.query.replace(/\s+/g, " ").slice(0, 110),
    );
}

if (args["cpu-prof"]) {
  for (const server of SERVERS) {
    console.error(`\n  ${server}: CPU by process while the measured jobs ran (profiles in ${profRoot}), per job\n`);
    for (const [r, round] of rounds[server].entries()) {
      for (const { group, file, busyMs, summary: s } of round.cpu) {
        const perJob = (n: number) => n / round.jobs;
        console.error(`  round ${r + 1} ${group}/${file}: ${perJob(busyMs).toFixed(1)} ms CPU per job`);
        console.error(
          `    by place: ${s.byPlace
            .slice(0, 10)
            .map((p) => `${p.place} ${perJob(p.ms).toFixed(2)}`)
            .join(" · ")}`,
        );
        for (const f of s.byFunction.slice(0, 8)) console.error(`      ${perJob(f.ms).toFixed(2).padStart(6)} ms  ${f.fn} (${f.place})`);
        const proc = file.replace(/-\d+\.cpuprofile$/, "");
        report({ name: `overhead_cpu_${server}_${group}_${proc}_round${r + 1}`, value: perJob(busyMs), unit: "ms CPU per job", detail: s });
      }
    }
  }
}
process.exit(0);
