/**
 * npm run bench:indexer — the job placer (packages/indexer) measured: decision time with the
 * worker index against the linear scan in the same run, placement quality against the nearest
 * feasible worker, fairness among equal workers, and placements per second on one core.
 * Pure CPU, no database. JSON lines on stdout, a summary on stderr.
 */
import { loadavg } from "node:os";
import { createPrng } from "@proofgrid/por";
import { type Job, linearScan, placeJob, REGIONS, type Worker, WorkerIndex } from "@proofgrid/indexer";
import { expectedRttMs, unavailability, jobFilter, resolveOptions, clientLocation } from "@proofgrid/indexer";
import { progress, quantile, report } from "./report.ts";

const MODELS = ["ocr-ppocr-v4", "encoder-synthetic-minilm", "vad-silero-v5"];

/** por's seeded PRNG, so every run measures the same network. */
function prng(seed: number): () => number {
  const p = createPrng(`bench-indexer-${seed}`);
  return () => p.nextFloat();
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)] as T;
}

/** Workers clustered around the built-in regions (±0.5°), 1–3 models each, mostly healthy. */
function makeNetwork(n: number, seed: number): Worker[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const region = pick(rand, REGIONS);
    const models = MODELS.filter(() => rand() < 0.6);
    if (models.length === 0) models.push(pick(rand, MODELS));
    return {
      id: `w${i}`,
      orgId: `org${i % 500}`,
      region: region.id,
      lat: region.lat + (rand() - 0.5),
      lon: region.lon + (rand() - 0.5),
      models,
      loadedModels: models.filter(() => rand() < 0.5),
      freeSlots: 1 + Math.floor(rand() * 4),
      askPerCuBaseUnits: BigInt(200_000 + Math.floor(rand() * 800_000)),
      reputation: 0.5 + rand() / 2,
      stake: BigInt(Math.floor(rand() * 2e9)),
      minStakeOk: rand() > 0.02,
      quarantined: rand() < 0.01,
      ...(rand() < 0.3 ? { measuredRttMs: rand() * 20 } : {}),
      selections: Math.floor(rand() * 20),
    };
  });
}

/** Clients anywhere within ±4° of a region (Tieling-like places with no worker next door). */
function makeJobs(n: number, seed: number): Job[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => {
    const region = pick(rand, REGIONS);
    return {
      clientLat: Math.max(-90, Math.min(90, region.lat + (rand() - 0.5) * 8)),
      clientLon: region.lon + (rand() - 0.5) * 8,
      modelId: pick(rand, MODELS),
      orgId: "client",
      ...(rand() < 0.3 ? { maxPerCuBaseUnits: 700_000n } : {}),
    };
  });
}

function time(fn: () => void, runs: number): number[] {
  const us: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    us.push((performance.now() - t0) * 1000);
  }
  return us;
}

function decisionTimes(n: number) {
  progress(`decision time at ${n} workers`);
  const workers = makeNetwork(n, n);
  const index = new WorkerIndex();
  for (const w of workers) index.upsert(w);
  const jobs = makeJobs(20_000, 7);
  let i = 0;
  // Warm-up so the JIT has compiled the hot paths before anything is timed.
  time(() => placeJob(jobs[i++ % jobs.length] as Job, index), 5_000);
  const indexed = time(() => placeJob(jobs[i++ % jobs.length] as Job, index), 20_000);
  const linearRuns = n >= 100_000 ? 60 : 300;
  time(() => linearScan(jobs[i++ % jobs.length] as Job, workers), 5);
  const linear = time(() => linearScan(jobs[i++ % jobs.length] as Job, workers), linearRuns);
  const p = (xs: number[], q: number) => quantile(xs, q);
  const speedup = p(linear, 0.5) / p(indexed, 0.5);
  report({
    name: `indexer.decision_p50_${n}`,
    value: p(indexed, 0.5),
    unit: "µs",
    baseline: p(linear, 0.5),
    note: "baseline: linear scan over every worker, same jobs, same run",
  });
  report({
    name: `indexer.decision_p99_${n}`,
    value: p(indexed, 0.99),
    unit: "µs",
    baseline: p(linear, 0.99),
    goal: n >= 100_000 ? "≤ 50 µs" : undefined,
    // The machine is shared: a 1-minute load average above the core count inflates every time here.
    detail: { decisions: indexed.length, linearDecisions: linear.length, loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
  });
  report({ name: `indexer.speedup_p50_${n}`, value: speedup, unit: "×", goal: "≥ 100×", note: "linear-scan p50 / index p50" });
  return { index, workers, p50: p(indexed, 0.5), p99: p(indexed, 0.99), linearP50: p(linear, 0.5), speedup };
}

/**
 * Placement quality on a live simulation: jobs take a slot and hold it while 60 % of all slots
 * are busy, so nearby workers fill up. For each decision the reference is the nearest feasible
 * worker in the same state (a per-job lower bound on latency: no assignment can beat it for
 * that job; greedy over the sequence, so not a global optimum over all jobs at once).
 */
function placementQuality(n: number, jobsCount: number) {
  progress(`placement quality: ${jobsCount} jobs on ${n} workers`);
  const index = new WorkerIndex();
  const workers = makeNetwork(n, 42);
  for (const w of workers) index.upsert(w);
  const totalSlots = workers.reduce((s, w) => s + w.freeSlots, 0);
  const inFlight: string[] = [];
  const opts = resolveOptions();
  let chosenSum = 0;
  let nearestSum = 0;
  let worstRatio = 1;
  let placed = 0;
  for (const job of makeJobs(jobsCount, 99)) {
    const d = placeJob(job, index);
    if (!d.workerId || d.expectedRttMs === null) continue;
    const client = clientLocation(job);
    let nearest = Number.POSITIVE_INFINITY;
    for (const w of index.workers()) {
      if (!w.models.includes(job.modelId) || unavailability(w)) continue;
      const rtt = expectedRttMs(client, w);
      if (rtt < nearest && !jobFilter(job, w, rtt, opts)) nearest = rtt;
    }
    chosenSum += d.expectedRttMs;
    nearestSum += nearest;
    worstRatio = Math.max(worstRatio, d.expectedRttMs / nearest);
    placed++;
    index.assign(d.workerId);
    inFlight.push(d.workerId);
    while (inFlight.length > totalSlots * 0.6) index.release(inFlight.shift() as string);
  }
  const meanChosen = chosenSum / placed;
  const meanNearest = nearestSum / placed;
  report({
    name: "indexer.mean_latency_vs_nearest",
    value: meanChosen,
    unit: "ms",
    baseline: meanNearest,
    goal: "ratio ≤ 1.10",
    note: "mean client→worker RTT estimate; baseline: the nearest feasible worker per job in the same state",
    detail: { workers: n, jobs: placed, worstJobRatio: Math.round(worstRatio * 1000) / 1000, busyShare: 0.6 },
  });
  return { meanChosen, meanNearest };
}

/** 100 equal workers in one city, 20 000 jobs; each job's slot is freed before the next. */
function fairness() {
  progress("fairness among equal workers");
  const index = new WorkerIndex();
  const rand = prng(5);
  const centre = REGIONS.find((r) => r.id === "eu-central") ?? REGIONS[0];
  if (!centre) throw new Error("no regions");
  for (let i = 0; i < 100; i++) {
    index.upsert({
      id: `f${i}`,
      orgId: `org${i}`,
      region: centre.id,
      lat: centre.lat + (rand() - 0.5) * 0.3,
      lon: centre.lon + (rand() - 0.5) * 0.3,
      models: ["m"],
      loadedModels: ["m"],
      freeSlots: 2,
      askPerCuBaseUnits: 500_000n,
      reputation: 0.9,
      stake: 1_000_000_000n,
      minStakeOk: true,
      quarantined: false,
      selections: 0,
    });
  }
  for (let n = 0; n < 20_000; n++) {
    const d = placeJob({ clientRegion: "eu-central", modelId: "m", orgId: "client" }, index);
    if (!d.workerId) throw new Error("fairness run: no worker found");
    index.assign(d.workerId);
    index.release(d.workerId);
  }
  const loads = [...index.workers()].map((w) => w.selections);
  const ratio = Math.max(...loads) / (loads.reduce((a, b) => a + b, 0) / loads.length);
  report({
    name: "indexer.fairness_max_over_mean",
    value: ratio,
    unit: "ratio",
    goal: "≤ 1.12",
    detail: { workers: 100, jobs: 20_000, min: Math.min(...loads), max: Math.max(...loads) },
  });
  return ratio;
}

/** Place, assign, and release after 1 000 more placements, for one second on this core. */
function throughput(index: WorkerIndex) {
  progress("placements per second (100 000 workers)");
  const jobs = makeJobs(10_000, 11);
  const inFlight: string[] = [];
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1_000) {
    const d = placeJob(jobs[n % jobs.length] as Job, index);
    n++;
    if (!d.workerId) continue;
    index.assign(d.workerId);
    inFlight.push(d.workerId);
    if (inFlight.length > 1_000) index.release(inFlight.shift() as string);
  }
  const perSecond = n / ((performance.now() - t0) / 1000);
  report({
    name: "indexer.placements_per_second",
    value: perSecond,
    unit: "1/s",
    note: "placeJob + assign + release on one core, 100 000 workers",
  });
  return perSecond;
}

function main() {
  const small = decisionTimes(10_000);
  const large = decisionTimes(100_000);
  const quality = placementQuality(10_000, 2_000);
  const fair = fairness();
  const perSecond = throughput(large.index);
  const f = (x: number) => x.toFixed(1);
  process.stderr.write(
    [
      "",
      "indexer summary",
      `  10k workers:  index p50 ${f(small.p50)} µs, p99 ${f(small.p99)} µs; linear p50 ${f(small.linearP50)} µs (${f(small.speedup)}× faster)`,
      `  100k workers: index p50 ${f(large.p50)} µs, p99 ${f(large.p99)} µs; linear p50 ${f(large.linearP50)} µs (${f(large.speedup)}× faster)`,
      `  latency: mean ${f(quality.meanChosen)} ms vs nearest feasible ${f(quality.meanNearest)} ms (×${(quality.meanChosen / quality.meanNearest).toFixed(3)})`,
      `  fairness max/mean ${fair.toFixed(3)}; ${Math.round(perSecond)} placements/s on one core`,
      "",
    ].join("\n"),
  );
}

main();
