/**
 * Where the per-job overhead goes (issue 15), for a tiny job (0.5 s of audio, Silero VAD):
 *   - the client's view, step by step: submit, dispatch (created → leased), the worker's
 *     round trip (leased → finished), delivery of the result to the waiting client;
 *   - every SQL statement the stack ran for those jobs (pg_stat_statements): calls and
 *     execution time per job, so the round trips can be counted, not guessed;
 *   - with `--cpu-prof`: each process's CPU per job by place (Next.js, pg, Prisma, zod, the
 *     app's bundle, Node's internals, GC) and its hottest functions; the `.cpuprofile` files
 *     are kept and open as flame graphs in Chrome DevTools or speedscope.
 *
 *   npm run bench:overhead [-- --jobs 60] [-- --cpu-prof]
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

const { values: args } = parseArgs({
  options: { jobs: { type: "string", default: "40" }, "cpu-prof": { type: "boolean", default: false } },
});
const JOBS = Math.max(5, Number(args.jobs));
const WARMUP = 5;

ensureWebBuild(progress);
const dir = mkdtempSync(join(tmpdir(), "proofgrid-prof-"));
const profDir = join(process.cwd(), "tmp/bench/cpu-prof", new Date().toISOString().replaceAll(":", "-"));
const pg = await startEmbeddedPostgres({
  dataDir: join(dir, "pg"),
  settings: { fsync: "off", shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "top" },
});
const url = await createDatabase(pg.url, "prof");
await migrate({ url });
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
  env: { LOG_LEVEL: "warn", ...profEnv("web-and-coordinator") },
});
await stack.addWorker("w1", { LOG_LEVEL: "warn", ...profEnv("worker") });
/** SIGUSR2 to every profiled process (lib/cpu-prof-preload.cjs): the first starts its profiler, the second writes it. */
function signalProfiled(): void {
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
}
const prisma = createPrismaClient(url, { maxConnections: 1 });
await prisma.$executeRawUnsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
const input = { audio: syntheticWav(0.5).toString("base64") };
const parts = { submit: [] as number[], total: [] as number[], inference: [] as number[] };
const ids: string[] = [];
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
  if (i >= WARMUP) ids.push(sub.body.id);
  parts.submit.push(t1 - t0);
  parts.total.push(t2 - t0);
  parts.inference.push(done.body.receipt.inferenceMs);
  progress(`job ${i + 1}/${JOBS + WARMUP}`);
}
signalProfiled();
// Statements first: the bench's own reads below must not be counted.
const statements = await prisma.$queryRawUnsafe<{ query: string; calls: bigint; total_ms: number }[]>(
  `SELECT query, calls, total_exec_time AS total_ms FROM pg_stat_statements
   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC`,
);
// Server-side timestamps (the database's clock) split the client's wait.
const rows = await prisma.$queryRaw<{ id: string; created: Date; leased: Date; finished: Date }[]>`
  SELECT j.id, j.created_at AS created, a.leased_at AS leased, j.finished_at AS finished
  FROM jobs j JOIN job_attempts a ON a.job_id = j.id WHERE j.id = ANY(${ids}::uuid[])`;
const byId = new Map(rows.map((r) => [r.id, r]));
const measured = {
  submit: [] as number[],
  dispatch: [] as number[],
  worker: [] as number[],
  total: [] as number[],
  inference: [] as number[],
};
ids.forEach((id, k) => {
  const r = byId.get(id);
  const i = k + WARMUP;
  if (!r) return;
  measured.submit.push(parts.submit[i] as number);
  measured.dispatch.push(r.leased.getTime() - r.created.getTime());
  measured.worker.push(r.finished.getTime() - r.leased.getTime());
  measured.total.push(parts.total[i] as number);
  measured.inference.push(parts.inference[i] as number);
});
const p50 = Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, median(v)])) as Record<keyof typeof measured, number>;
// Delivery: what the total leaves after submit, dispatch and the worker (the clocks differ, the medians do not add up exactly).
const deliver = p50.total - p50.submit - p50.dispatch - p50.worker;
for (const [k, v] of Object.entries(p50)) report({ name: `overhead_${k}_p50`, value: v, unit: "ms" });
report({ name: "overhead_deliver_p50", value: deliver, unit: "ms", note: "total − submit − dispatch − worker, medians" });
report({ name: "overhead_added_p50", value: p50.total - p50.inference, unit: "ms", note: "client's total − the receipt's inference time" });

const perJob = (n: number) => n / ids.length;
const calls = statements.reduce((a, s) => a + Number(s.calls), 0);
const sqlMs = statements.reduce((a, s) => a + s.total_ms, 0);
report({
  name: "overhead_sql_statements_per_job",
  value: perJob(calls),
  unit: "statements",
  detail: { execMsPerJob: perJob(sqlMs), note: "BEGIN/COMMIT included; execution time only, not the round trip" },
});
console.error(
  "\n  SQL per job (pg_stat_statements, top level, %d jobs): %s statements, %s ms executing\n",
  ids.length,
  perJob(calls).toFixed(1),
  perJob(sqlMs).toFixed(2),
);
console.error("  %s | %s | %s", "calls/job".padStart(9), "ms/job".padStart(7), "statement");
for (const s of statements.slice(0, 25))
  console.error(
    "  %s | %s | %s",
    perJob(Number(s.calls)).toFixed(2).padStart(9),
    perJob(s.total_ms).toFixed(3).padStart(7),
    s.query.replace(/\s+/g, " ").slice(0, 110),
  );

await prisma.$disconnect();
await stack.stop();
await pg.stop();
rmSync(dir, { recursive: true, force: true });

if (args["cpu-prof"]) {
  console.error(`\n  CPU by process while the measured jobs ran (profiles in ${profDir}), per job\n`);
  for (const group of readdirSync(profDir)) {
    for (const file of readdirSync(join(profDir, group)).filter((f) => f.endsWith(".cpuprofile"))) {
      const profile = JSON.parse(readFileSync(join(profDir, group, file), "utf8")) as CpuProfile;
      const s = summarizeCpuProfile(profile, 12);
      if (s.busyMs < 50) continue;
      console.error(`  ${group}/${file}: ${perJob(s.busyMs).toFixed(1)} ms CPU per job`);
      console.error(
        `    by place: ${s.byPlace
          .slice(0, 10)
          .map((p) => `${p.place} ${perJob(p.ms).toFixed(2)}`)
          .join(" · ")}`,
      );
      for (const f of s.byFunction.slice(0, 8)) console.error(`      ${perJob(f.ms).toFixed(2).padStart(6)} ms  ${f.fn} (${f.place})`);
      report({ name: `overhead_cpu_${group}_${file}`, value: perJob(s.busyMs), unit: "ms CPU per job", detail: s });
    }
  }
}
process.exit(0);
