// The worker index: per model, workers that can take a job now (free slot, not quarantined,
// stake ok) in spatial buckets — one per built-in region, a worker going to the region
// centre nearest to it. A search visits buckets in order of a lower bound on RTT (distance to
// the centre minus the bucket's radius, by the triangle inequality) and stops once it has
// k candidates and no unvisited bucket can hold a closer worker, or once no unvisited bucket
// can reach the latency window. With ~30 buckets a decision costs ~30 haversines plus
// O(k) worker checks, independent of the network's size.
import { estimateRttMs, haversineKm, isValidLatLon, type LatLon, REGIONS, type Region } from "./geo.ts";
import {
  type Eliminated,
  emptyEliminated,
  expectedRttMs,
  type Job,
  jobFilter,
  latencyWindowMs,
  type ResolvedOptions,
  unavailability,
  type Worker,
} from "./scoring.ts";
import { SelectionQueue } from "./selection-queue.ts";

interface Bucket {
  centre: Region;
  regionIndex: number;
  /** Largest distance of any worker ever added from the centre; never shrinks, so stays a valid bound. */
  radiusKm: number;
  queue: SelectionQueue;
}

interface ModelStats {
  supporting: number;
  selectionSum: number;
  unavailable: { quarantined: number; stake: number; slots: number };
  buckets: Map<number, Bucket>;
}

interface Entry {
  worker: Worker;
  regionIndex: number;
  distanceToCentreKm: number;
}

export interface Candidate {
  worker: Worker;
  rttMs: number;
}

export interface SearchResult {
  /** Feasible workers within the latency window of the best one found. */
  candidates: Candidate[];
  /** Complete only when no candidate was found (the search stops early otherwise). */
  eliminated: Eliminated;
  /** Workers the search looked at. */
  scanned: number;
}

/** A sanity bound on one worker's model list: a decision's and an update's work scale with it. */
export const MAX_MODELS_PER_WORKER = 256;

export class WorkerIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #models = new Map<string, ModelStats>();

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): Worker | undefined {
    return this.#entries.get(id)?.worker;
  }

  *workers(): IterableIterator<Worker> {
    for (const entry of this.#entries.values()) yield entry.worker;
  }

  /** Adds or replaces a worker. The index keeps a frozen copy; later edits to `worker` do not leak in. */
  upsert(worker: Worker): void {
    validateWorker(worker);
    const snapshot: Worker = Object.freeze({ ...worker, models: [...new Set(worker.models)], loadedModels: [...worker.loadedModels] });
    const old = this.#entries.get(worker.id);
    if (old) this.#unlink(old);
    // Re-locating costs ~30 haversines; slot and selection updates keep the position.
    const moved = !old || old.worker.lat !== worker.lat || old.worker.lon !== worker.lon;
    const entry: Entry = moved ? { worker: snapshot, ...nearestRegion(snapshot) } : { ...old, worker: snapshot };
    this.#entries.set(worker.id, entry);
    this.#link(entry);
  }

  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#unlink(entry);
    this.#entries.delete(id);
    return true;
  }

  /** The placer gave `id` a job: one slot fewer, one selection more. */
  assign(id: string): Worker {
    const worker = this.#getOrThrow(id);
    if (!(worker.freeSlots > 0)) throw new Error(`worker ${id} has no free slot to assign`);
    this.upsert({ ...worker, freeSlots: worker.freeSlots - 1, selections: worker.selections + 1 });
    return this.#getOrThrow(id);
  }

  /** A job on `id` finished: its slot is free again. */
  release(id: string): Worker {
    const worker = this.#getOrThrow(id);
    this.upsert({ ...worker, freeSlots: worker.freeSlots + 1 });
    return this.#getOrThrow(id);
  }

  /** A worker's fair share of selections for a model: the mean over all workers serving it. */
  meanSelections(modelId: string): number {
    const stats = this.#models.get(modelId);
    return stats && stats.supporting > 0 ? stats.selectionSum / stats.supporting : 0;
  }

  search(job: Job, client: LatLon, opts: ResolvedOptions): SearchResult {
    const eliminated = emptyEliminated();
    const stats = this.#models.get(job.modelId);
    eliminated.model = this.size - (stats?.supporting ?? 0);
    if (!stats) return { candidates: [], eliminated, scanned: 0 };
    eliminated.quarantined = stats.unavailable.quarantined;
    eliminated.stake = stats.unavailable.stake;
    eliminated.slots = stats.unavailable.slots;

    const order = orderBuckets(stats, client);
    const maxLatency = job.maxLatencyMs ?? Number.POSITIVE_INFINITY;
    const found: Candidate[] = [];
    let best = Number.POSITIVE_INFINITY;
    let window = Number.POSITIVE_INFINITY;
    let scanned = 0;
    for (const { bucket, lowerRttMs } of order) {
      if (lowerRttMs > maxLatency) {
        // Sorted ascending: this bucket and every later one are out of the job's reach.
        eliminated.latency += bucket.queue.size;
        continue;
      }
      if (lowerRttMs > window) break;
      if (found.length >= opts.k && lowerRttMs >= best) break;
      let drawn = 0;
      bucket.queue.forEachAscending((worker) => {
        scanned++;
        const rttMs = expectedRttMs(client, worker);
        const failed = jobFilter(job, worker, rttMs, opts);
        if (failed) {
          eliminated[failed]++;
          return true;
        }
        if (rttMs > window) return true;
        found.push({ worker, rttMs });
        if (rttMs < best) {
          best = rttMs;
          window = latencyWindowMs(best, opts);
        }
        return ++drawn < opts.k;
      });
    }
    return { candidates: found.filter((c) => c.rttMs <= window), eliminated, scanned };
  }

  #getOrThrow(id: string): Worker {
    const worker = this.#entries.get(id)?.worker;
    if (!worker) throw new Error(`worker ${id} is not in the index`);
    return worker;
  }

  #link(entry: Entry): void {
    const { worker } = entry;
    const cause = unavailability(worker);
    for (const modelId of worker.models) {
      const stats = this.#statsFor(modelId);
      stats.supporting++;
      stats.selectionSum += worker.selections;
      if (cause) {
        stats.unavailable[cause]++;
        continue;
      }
      let bucket = stats.buckets.get(entry.regionIndex);
      if (!bucket) {
        const centre = REGIONS[entry.regionIndex] as Region;
        bucket = { centre, regionIndex: entry.regionIndex, radiusKm: 0, queue: new SelectionQueue() };
        stats.buckets.set(entry.regionIndex, bucket);
      }
      bucket.radiusKm = Math.max(bucket.radiusKm, entry.distanceToCentreKm);
      bucket.queue.add(worker);
    }
  }

  #unlink(entry: Entry): void {
    const { worker } = entry;
    const cause = unavailability(worker);
    for (const modelId of worker.models) {
      const stats = this.#statsFor(modelId);
      stats.supporting--;
      stats.selectionSum -= worker.selections;
      if (cause) stats.unavailable[cause]--;
      else stats.buckets.get(entry.regionIndex)?.queue.remove(worker);
    }
  }

  #statsFor(modelId: string): ModelStats {
    let stats = this.#models.get(modelId);
    if (!stats) {
      stats = { supporting: 0, selectionSum: 0, unavailable: { quarantined: 0, stake: 0, slots: 0 }, buckets: new Map() };
      this.#models.set(modelId, stats);
    }
    return stats;
  }
}

function orderBuckets(stats: ModelStats, client: LatLon): { bucket: Bucket; lowerRttMs: number }[] {
  const order: { bucket: Bucket; lowerRttMs: number }[] = [];
  for (const bucket of stats.buckets.values()) {
    if (bucket.queue.size === 0) continue;
    const lowerKm = Math.max(0, haversineKm(client, bucket.centre) - bucket.radiusKm);
    order.push({ bucket, lowerRttMs: estimateRttMs(lowerKm) });
  }
  // Region index breaks ties so the visiting order never depends on Map insertion order.
  return order.sort((a, b) => a.lowerRttMs - b.lowerRttMs || a.bucket.regionIndex - b.bucket.regionIndex);
}

function nearestRegion(p: LatLon): { regionIndex: number; distanceToCentreKm: number } {
  let regionIndex = 0;
  let distanceToCentreKm = Number.POSITIVE_INFINITY;
  REGIONS.forEach((region, i) => {
    const d = haversineKm(p, region);
    if (d < distanceToCentreKm) {
      regionIndex = i;
      distanceToCentreKm = d;
    }
  });
  return { regionIndex, distanceToCentreKm };
}

function validateWorker(w: Worker): void {
  const bad = (why: string) => new Error(`invalid worker ${JSON.stringify(w.id)}: ${why}`);
  if (typeof w.id !== "string" || w.id.length === 0) throw bad("id must be a non-empty string");
  if (!isValidLatLon(w)) throw bad(`lat/lon (${w.lat}, ${w.lon}) out of range`);
  if (!Number.isInteger(w.freeSlots) || w.freeSlots < 0) throw bad(`freeSlots must be an integer ≥ 0, got ${w.freeSlots}`);
  if (!Number.isInteger(w.selections) || w.selections < 0) throw bad(`selections must be an integer ≥ 0, got ${w.selections}`);
  if (!Number.isFinite(w.reputation)) throw bad(`reputation must be finite, got ${w.reputation}`);
  if (w.measuredRttMs !== undefined && !(w.measuredRttMs >= 0 && Number.isFinite(w.measuredRttMs)))
    throw bad(`measuredRttMs must be ≥ 0, got ${w.measuredRttMs}`);
  if (w.models.length > MAX_MODELS_PER_WORKER) throw bad(`serves ${w.models.length} models; at most ${MAX_MODELS_PER_WORKER}`);
}
