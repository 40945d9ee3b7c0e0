/**
 * The external anchor of issue 15: how fast pg-boss 10 drains a queue of tiny jobs on the
 * same Postgres server the bench runs on, in a database of its own. Nothing of Proofgrid's
 * is involved: a known, widely used Postgres queue doing the least a queue can do (claim,
 * complete), so our throughput has a fixed point outside the project to be compared with.
 */
import { createDatabase, dropDatabase } from "@proofgrid/db/embedded";
import PgBoss from "pg-boss";

export interface DrainShape {
  workers: number;
  /** Jobs per `fetch` and per `complete`. */
  batchSize: number;
  jobs: number;
}

export interface DrainRun extends DrainShape {
  seconds: number;
  jobsPerS: number;
}

const QUEUE = "bench-drain";
/** Bound on every drain: far beyond what pg-boss needs (5 000 jobs in batches: under 2 s). */
const DRAIN_TIMEOUT_MS = 60_000;
/** Rows per `insert` call: one multi-row INSERT each. */
const INSERT_CHUNK = 1_000;

async function fill(boss: PgBoss, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += INSERT_CHUNK) {
    const n = Math.min(INSERT_CHUNK, jobs - i);
    await boss.insert(Array.from({ length: n }, (_, k) => ({ name: QUEUE, data: { text: `t${i + k}` } })));
  }
  const queued = await boss.getQueueSize(QUEUE);
  if (queued !== jobs) throw new Error(`pg-boss: ${queued} jobs queued, expected ${jobs}`);
}

/**
 * Each worker loops on an awaited `fetch` then `complete` of the same ids, until the queue
 * is empty; the drain runs from the first fetch to the last completion. This is faster than
 * pg-boss's own `work` at every batch size tried (4 workers: 416 against 5 341 jobs/s in
 * batches of 50, 1 671 against 12 437 in batches of 200), because `work` sleeps out the rest
 * of its polling interval (0.5 s at least) after each batch, however full the queue.
 */
async function drain(boss: PgBoss, shape: DrainShape): Promise<DrainRun> {
  const { jobs, workers, batchSize } = shape;
  await fill(boss, jobs);
  let done = 0;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`pg-boss drain: only ${done}/${jobs} done in ${DRAIN_TIMEOUT_MS} ms`);
        const batch = await boss.fetch<{ text: string }>(QUEUE, { batchSize });
        if (batch.length === 0) return;
        await boss.complete(
          QUEUE,
          batch.map((j) => j.id),
        );
        done += batch.length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (done !== jobs) throw new Error(`pg-boss drain: ${done} completed, expected ${jobs}`);
  return { ...shape, seconds, jobsPerS: jobs / seconds };
}

/**
 * Drains each shape in turn, in a new database `bench_pgboss_<pid>` of the server at
 * `serverUrl` (dropped at the end), after a warm-up drain of 200 jobs.
 */
export async function measurePgBossDrain(opts: {
  serverUrl: string;
  shapes: readonly DrainShape[];
  log?: (msg: string) => void;
}): Promise<DrainRun[]> {
  const log = opts.log ?? (() => {});
  const maxWorkers = Math.max(1, ...opts.shapes.map((s) => s.workers));
  const dbName = `bench_pgboss_${process.pid}`;
  const url = await createDatabase(opts.serverUrl, dbName, { replace: true });
  // No supervisor (maintenance) and no scheduler: only the queue's own statements run.
  const boss = new PgBoss({ connectionString: url, max: maxWorkers + 1, supervise: false, schedule: false, migrate: true });
  const errors: Error[] = [];
  boss.on("error", (err) => errors.push(err));
  try {
    await boss.start();
    await boss.createQueue(QUEUE);
    await drain(boss, { workers: maxWorkers, batchSize: 50, jobs: 200 });
    const runs: DrainRun[] = [];
    for (const shape of opts.shapes) {
      const r = await drain(boss, shape);
      log(`pg-boss: ${r.jobs} jobs, ${r.workers} worker(s), batches of ${r.batchSize}: ${Math.round(r.jobsPerS)} jobs/s`);
      runs.push(r);
    }
    if (errors.length) throw new Error(`pg-boss reported: ${errors.map((e) => e.message).join("; ")}`);
    return runs;
  } finally {
    await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    await dropDatabase(opts.serverUrl, dbName);
  }
}
