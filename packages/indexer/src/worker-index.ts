// The worker index: per model, workers that can take a job now (free slot, not quarantined,
// stake ok) in spatial buckets — one per built-in region, a worker going to the region
// centre nearest to it. A search visits buckets in order of a lower bound on RTT (distance to
// the centre minus the bucket's radius, by the triangle inequality) and stops once it has
// k candidates and no unvisited bucket can hold a closer worker, or once no unvisited bucket
// can reach the latency window. A decision costs ~30 chord bounds (no trigonometry), a
// haversine for the 1–2 buckets it visits, and O(k) worker checks, independent of the
// network's size.
//
// A bucket keeps the numbers a decision reads (position, link penalty, ask, reputation, stake,
// selections, org, warm) as rows of one Float64Array, in visiting order (SelectionQueue): a
// search reads contiguous numbers, not Worker objects, and computes the exact haversine only
// for workers a chord bound cannot rule out. bench:indexer on a shared 2-core machine (load
// average 2–3): decision p50 136 → 7–11 µs at 10 000 workers, 99 → 8–13 µs at 100 000 (p99 30–42 µs).
import {
  chordLowerBoundKm,
  estimateRttMs,
  haversineKm,
  haversineKmWithCos,
  isValidLatLon,
  type LatLon,
  latitudeCos,
  REGIONS,
  type Region,
  type UnitVector,
  unitVector,
} from "./geo.ts";
import {
  type Eliminated,
  emptyEliminated,
  FILTER_NAMES,
  type FilterName,
  type Job,
  latencyWindowMs,
  linkPenaltyMs,
  type ResolvedOptions,
  ranksAbove,
  type ScoreContext,
  scoreOf,
  unavailability,
  type Worker,
} from "./scoring.ts";
import { SelectionQueue } from "./selection-queue.ts";

// Per worker and bucket, the numbers a decision reads, in one row of the bucket's queue (see
// SelectionQueue): a search walks ~55 workers per decision, and reading them from Worker
// objects (pointer chasing through Sets, bigints, model lists) cost ~1.5 µs per worker. The
// fields every scanned worker needs come first; those only candidates need come last.
/** The worker's unit vector, for chordLowerBoundKm. */
const X = 0;
const Y = 1;
const Z = 2;
const LINK_PENALTY_MS = 3;
/** Number(askPerCuBaseUnits), for the score. */
const ASK = 4;
/** 1 when ASK is exactly the bigint ask (a safe integer), so the price filter may compare numbers. */
const ASK_EXACT = 5;
const REPUTATION = 6;
/** The worker's org as a number the index assigns (see #orgs). */
const ORG = 7;
const LAT = 8;
const LON = 9;
const LAT_COS = 10;
const STAKE = 11;
const SELECTIONS = 12;
/** 1 if the bucket's model is loaded on the worker. */
const WARM = 13;
const STRIDE = 14;

interface Bucket {
  centre: Region;
  centreCos: number;
  centreVector: UnitVector;
  regionIndex: number;
  /** Largest distance of any worker ever added from the centre; never shrinks, so stays a valid bound. */
  radiusKm: number;
  queue: SelectionQueue<Entry>;
}

interface ModelStats {
  modelId: string;
  supporting: number;
  selectionSum: number;
  unavailable: { quarantined: number; stake: number; slots: number };
  /** By region index. */
  byRegion: (Bucket | undefined)[];
  /** The buckets in the order they were made; a search reads this list. */
  buckets: Bucket[];
}

interface Entry {
  worker: Worker;
  regionIndex: number;
  distanceToCentreKm: number;
  /** Where the worker is, as the rows store it: computed when it moves, not on every update. */
  latCos: number;
  vector: UnitVector;
  org: number;
  /** The worker's handle in each model's bucket queue, in worker.models order; empty while unavailable. */
  handles: number[];
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

export interface RankedCandidate extends Candidate {
  score: number;
}

export interface RankedSearch {
  /** The best-scoring candidate within the latency window, and the next best. */
  winner: RankedCandidate | null;
  runnerUp: RankedCandidate | null;
  /** Candidates within the latency window (all of them scored). */
  considered: number;
  /** As in SearchResult. */
  eliminated: Eliminated;
  scanned: number;
}

/** A sanity bound on one worker's model list: a decision's and an update's work scale with it. */
export const MAX_MODELS_PER_WORKER = 256;

const NO_ORG = -1;
const FILTER_INDEX: Readonly<Record<FilterName, number>> = Object.freeze(
  Object.fromEntries(FILTER_NAMES.map((name, i) => [name, i])) as Record<FilterName, number>,
);
const REGION_INDEX: ReadonlyMap<LatLon, number> = new Map(REGIONS.map((r, i) => [r, i]));
const REGION_VECTORS: readonly UnitVector[] = REGIONS.map(unitVector);
/**
 * Region-to-region distances: a job that names its client's region (clientLocation returns
 * the Region object itself) orders buckets without a haversine. Computed with the same
 * function as at run time, so the bounds are the same numbers.
 */
const REGION_KM: Float64Array = (() => {
  const n = REGIONS.length;
  const km = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) km[i * n + j] = haversineKm(REGIONS[i] as Region, REGIONS[j] as Region);
  return km;
})();
/**
 * Bucket lower bounds lose this much so that haversine rounding (~1e-9 km) can never make a
 * bound exceed a worker's computed distance and prune a bucket the linear scan would draw from.
 */
const BOUND_SLACK_KM = 1e-6;

export class WorkerIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #models = new Map<string, ModelStats>();
  /** Org id → a number and how many entries use it; a number is never reused. */
  readonly #orgs = new Map<string, { id: number; refs: number }>();
  #nextOrg = 0;

  // Scratch for one search: reused so a decision allocates nothing per bucket or candidate.
  // Candidates are (bucket's place in stats.buckets, row position, RTT); grown on demand,
  // bounded by k · REGIONS.length ≤ MAX_K · 32.
  #candBucket = new Int32Array(64);
  #candRow = new Int32Array(64);
  #candRtt = new Float64Array(64);
  #found = 0;
  #window = Number.POSITIVE_INFINITY;
  #scanned = 0;
  readonly #tally = new Float64Array(FILTER_NAMES.length);
  readonly #lowerRtt = new Float64Array(REGIONS.length);
  /** 1 once #lowerRtt holds the haversine bound, 0 while it holds the cheaper chord bound. */
  readonly #exact = new Uint8Array(REGIONS.length);
  readonly #visited = new Uint8Array(REGIONS.length);

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
    if (old && this.#updateInPlace(old, snapshot)) return;
    if (old) this.#unlink(old);
    // Re-locating costs 32 chord lengths and a haversine; a change of slots alone keeps the
    // position (and usually takes #updateInPlace above).
    const moved = !old || old.worker.lat !== worker.lat || old.worker.lon !== worker.lon;
    const place = old && !moved ? old : locate(snapshot);
    const entry: Entry = {
      worker: snapshot,
      regionIndex: place.regionIndex,
      distanceToCentreKm: place.distanceToCentreKm,
      latCos: place.latCos,
      vector: place.vector,
      org: NO_ORG,
      handles: [],
    };
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

  /** The candidates a decision would score, as objects. placeJob uses searchRanked instead. */
  search(job: Job, client: LatLon, opts: ResolvedOptions): SearchResult {
    const stats = this.#collect(job, client, opts);
    const candidates: Candidate[] = [];
    if (stats) {
      for (let c = 0; c < this.#found; c++) {
        const rttMs = this.#candRtt[c] as number;
        if (!(rttMs <= this.#window)) continue;
        candidates.push({ worker: this.#candidateWorker(stats, c), rttMs });
      }
    }
    return { candidates, eliminated: this.#eliminated(), scanned: this.#scanned };
  }

  /**
   * The search, then the score of every candidate in the latency window, keeping the best two
   * in the placer's order (ranksAbove). Same candidates and scores as search + scoreWorker,
   * without an object per candidate.
   */
  searchRanked(job: Job, client: LatLon, opts: ResolvedOptions, ctx: ScoreContext): RankedSearch {
    const stats = this.#collect(job, client, opts);
    let considered = 0;
    let first = -1;
    let second = -1;
    let firstScore = 0;
    let secondScore = 0;
    if (stats) {
      const window = this.#window;
      for (let c = 0; c < this.#found; c++) {
        const rtt = this.#candRtt[c] as number;
        if (!(rtt <= window)) continue;
        considered++;
        const data = (stats.buckets[this.#candBucket[c] as number] as Bucket).queue.rows;
        const o = (this.#candRow[c] as number) * STRIDE;
        const score = scoreOf(
          rtt,
          data[o + REPUTATION] as number,
          data[o + ASK] as number,
          data[o + WARM] as number,
          data[o + STAKE] as number,
          data[o + SELECTIONS] as number,
          ctx,
        );
        if (first < 0 || this.#ranksAbove(stats, c, score, first, firstScore)) {
          second = first;
          secondScore = firstScore;
          first = c;
          firstScore = score;
        } else if (second < 0 || this.#ranksAbove(stats, c, score, second, secondScore)) {
          second = c;
          secondScore = score;
        }
      }
    }
    return {
      winner: this.#ranked(stats, first, firstScore),
      runnerUp: this.#ranked(stats, second, secondScore),
      considered,
      eliminated: this.#eliminated(),
      scanned: this.#scanned,
    };
  }

  #ranked(stats: ModelStats | null, c: number, score: number): RankedCandidate | null {
    return c < 0 || !stats ? null : { worker: this.#candidateWorker(stats, c), rttMs: this.#candRtt[c] as number, score };
  }

  #ranksAbove(stats: ModelStats, a: number, scoreA: number, b: number, scoreB: number): boolean {
    const rttA = this.#candRtt[a] as number;
    const rttB = this.#candRtt[b] as number;
    // Ids break exact ties only; fetching them for every comparison would touch Worker objects.
    if (scoreA !== scoreB || rttA !== rttB) return ranksAbove(scoreA, rttA, "", scoreB, rttB, "");
    return ranksAbove(scoreA, rttA, this.#candidateWorker(stats, a).id, scoreB, rttB, this.#candidateWorker(stats, b).id);
  }

  #candidateWorker(stats: ModelStats, c: number): Worker {
    const bucket = stats.buckets[this.#candBucket[c] as number] as Bucket;
    return (bucket.queue.ownerAt(this.#candRow[c] as number) as Entry).worker;
  }

  /**
   * Visits buckets in order of a lower bound on RTT and collects up to k feasible workers per
   * bucket, least-selected first, into the scratch arrays; counts what each filter eliminated
   * into #tally. Returns the model's stats, or null if no worker serves the model.
   */
  #collect(job: Job, client: LatLon, opts: ResolvedOptions): ModelStats | null {
    const tally = this.#tally;
    tally.fill(0);
    this.#found = 0;
    this.#scanned = 0;
    this.#window = Number.POSITIVE_INFINITY;
    const stats = this.#models.get(job.modelId);
    tally[FILTER_INDEX.model] = this.size - (stats?.supporting ?? 0);
    if (!stats) return null;
    tally[FILTER_INDEX.quarantined] = stats.unavailable.quarantined;
    tally[FILTER_INDEX.stake] = stats.unavailable.stake;
    tally[FILTER_INDEX.slots] = stats.unavailable.slots;

    const cLat = client.lat;
    const cLon = client.lon;
    const cCos = latitudeCos(cLat);
    const clientRegion = REGION_INDEX.get(client);
    const cv = clientRegion === undefined ? unitVector(client) : (REGION_VECTORS[clientRegion] as UnitVector);
    const cx = cv.x;
    const cy = cv.y;
    const cz = cv.z;
    const buckets = stats.buckets;
    const lowerRtt = this.#lowerRtt;
    const exact = this.#exact;
    const visited = this.#visited;
    // Bounds start as chord bounds (no trigonometry) and become haversine bounds when a bucket
    // reaches the front, so buckets are visited in exactly the haversine-bound order while
    // computing ~2 haversines instead of one per bucket. A client given by region reads the
    // haversine from REGION_KM straight away.
    for (let b = 0; b < buckets.length; b++) {
      const bucket = buckets[b] as Bucket;
      visited[b] = bucket.queue.size === 0 ? 1 : 0;
      if (clientRegion === undefined) {
        const v = bucket.centreVector;
        lowerRtt[b] = estimateRttMs(chordLowerBoundKm(cx, cy, cz, v.x, v.y, v.z) - bucket.radiusKm - BOUND_SLACK_KM);
        exact[b] = 0;
      } else {
        const km = REGION_KM[clientRegion * REGIONS.length + bucket.regionIndex] as number;
        lowerRtt[b] = estimateRttMs(km - bucket.radiusKm - BOUND_SLACK_KM);
        exact[b] = 1;
      }
    }

    const maxLatency = job.maxLatencyMs ?? Number.POSITIVE_INFINITY;
    const hasMaxLatency = job.maxLatencyMs !== undefined;
    const hasCap = job.maxPerCuBaseUnits !== undefined;
    const cap = job.maxPerCuBaseUnits ?? 0n;
    const capNumber = Number(cap);
    const capExact = Number.isSafeInteger(capNumber);
    const minReputation = opts.minReputation;
    const jobOrg = opts.allowSameOrg ? NO_ORG : (this.#orgs.get(job.orgId)?.id ?? NO_ORG);
    const k = opts.k;
    let best = Number.POSITIVE_INFINITY;
    let window = Number.POSITIVE_INFINITY;
    let found = 0;
    let scanned = 0;
    let latency = 0;
    let price = 0;
    let reputation = 0;
    let sameOrg = 0;

    for (;;) {
      // Next bucket by (bound, region index): with ≤ 32 buckets and 1–3 visited per decision,
      // picking the minimum each time beats sorting them all.
      let next = -1;
      for (let b = 0; b < buckets.length; b++) {
        if (visited[b]) continue;
        if (next < 0) next = b;
        else {
          const lb = lowerRtt[b] as number;
          const ln = lowerRtt[next] as number;
          if (lb < ln || (lb === ln && (buckets[b] as Bucket).regionIndex < (buckets[next] as Bucket).regionIndex)) next = b;
        }
      }
      if (next < 0) break;
      const bucket = buckets[next] as Bucket;
      if (!exact[next]) {
        const km = haversineKmWithCos(cLat, cLon, cCos, bucket.centre.lat, bucket.centre.lon, bucket.centreCos);
        lowerRtt[next] = estimateRttMs(km - bucket.radiusKm - BOUND_SLACK_KM);
        exact[next] = 1;
        continue;
      }
      const lower = lowerRtt[next] as number;
      if (lower > maxLatency) {
        // Every other bound is at most its haversine bound, which is ≥ this one: all out of reach.
        for (let b = 0; b < buckets.length; b++) if (!visited[b]) latency += (buckets[b] as Bucket).queue.size;
        break;
      }
      if (lower > window) break;
      if (found >= k && lower >= best) break;
      visited[next] = 1;

      const data = bucket.queue.rows;
      const size = bucket.queue.size;
      let drawn = 0;
      for (let row = 0; row < size && drawn < k; row++) {
        const o = row * STRIDE;
        scanned++;
        const penalty = data[o + LINK_PENALTY_MS] as number;
        // A lower bound on the worker's RTT: rules out most workers beyond the latency limit or
        // the window without the haversine.
        const lowRtt =
          estimateRttMs(chordLowerBoundKm(cx, cy, cz, data[o + X] as number, data[o + Y] as number, data[o + Z] as number)) + penalty;
        // jobFilter, in its order. The latency filter needs the exact RTT only when the bound passes.
        let rtt = Number.NaN;
        if (hasMaxLatency) {
          if (lowRtt > maxLatency) {
            latency++;
            continue;
          }
          rtt = this.#rtt(data, o, cLat, cLon, cCos);
          if (rtt > maxLatency) {
            latency++;
            continue;
          }
        }
        if (hasCap && (capExact && data[o + ASK_EXACT] === 1 ? (data[o + ASK] as number) > capNumber : this.#askOver(bucket, row, cap))) {
          price++;
          continue;
        }
        if (!((data[o + REPUTATION] as number) >= minReputation)) {
          reputation++;
          continue;
        }
        if (data[o + ORG] === jobOrg) {
          sameOrg++;
          continue;
        }
        if (lowRtt > window) continue;
        if (!hasMaxLatency) rtt = this.#rtt(data, o, cLat, cLon, cCos);
        if (rtt > window) continue;
        this.#push(found++, next, row, rtt);
        if (rtt < best) {
          best = rtt;
          window = latencyWindowMs(best, opts);
        }
        drawn++;
      }
    }
    tally[FILTER_INDEX.latency] = latency;
    tally[FILTER_INDEX.price] = price;
    tally[FILTER_INDEX.reputation] = reputation;
    tally[FILTER_INDEX.sameOrg] = sameOrg;
    this.#found = found;
    this.#scanned = scanned;
    this.#window = window;
    return stats;
  }

  /** expectedRttMs(client, worker) from the slot's numbers: the same functions, so the same result to the last bit. */
  #rtt(data: Float64Array, o: number, cLat: number, cLon: number, cCos: number): number {
    const km = haversineKmWithCos(cLat, cLon, cCos, data[o + LAT] as number, data[o + LON] as number, data[o + LAT_COS] as number);
    return estimateRttMs(km) + (data[o + LINK_PENALTY_MS] as number);
  }

  /** The price filter on the bigints, for asks or caps beyond 2^53 where numbers are inexact. */
  #askOver(bucket: Bucket, row: number, cap: bigint): boolean {
    return (bucket.queue.ownerAt(row) as Entry).worker.askPerCuBaseUnits > cap;
  }

  #push(c: number, bucket: number, row: number, rtt: number): void {
    if (c === this.#candRtt.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.#candBucket = grow(this.#candBucket, (n) => new Int32Array(n));
      this.#candRow = grow(this.#candRow, (n) => new Int32Array(n));
      this.#candRtt = grow(this.#candRtt, (n) => new Float64Array(n));
    }
    this.#candBucket[c] = bucket;
    this.#candRow[c] = row;
    this.#candRtt[c] = rtt;
  }

  #eliminated(): Eliminated {
    const eliminated = emptyEliminated();
    for (let i = 0; i < FILTER_NAMES.length; i++) eliminated[FILTER_NAMES[i] as FilterName] = this.#tally[i] as number;
    return eliminated;
  }

  #getOrThrow(id: string): Worker {
    const worker = this.#entries.get(id)?.worker;
    if (!worker) throw new Error(`worker ${id} is not in the index`);
    return worker;
  }

  /**
   * The placer's updates (assign, release, a reputation or price change) keep a worker where
   * it is: rewrite its numbers and move it in the selection order, no unlink and relink.
   * Returns false when the change needs the general path.
   */
  #updateInPlace(entry: Entry, next: Worker): boolean {
    const prev = entry.worker;
    if (prev.lat !== next.lat || prev.lon !== next.lon || prev.orgId !== next.orgId) return false;
    if (unavailability(prev) !== null || unavailability(next) !== null) return false;
    if (prev.models.length !== next.models.length) return false;
    for (let i = 0; i < prev.models.length; i++) if (prev.models[i] !== next.models[i]) return false;
    entry.worker = next;
    for (let i = 0; i < next.models.length; i++) {
      const modelId = next.models[i] as string;
      const stats = this.#models.get(modelId) as ModelStats;
      stats.selectionSum += next.selections - prev.selections;
      const queue = (stats.byRegion[entry.regionIndex] as Bucket).queue;
      const handle = entry.handles[i] as number;
      writeRow(queue, handle, entry, modelId);
      queue.setSelections(handle, next.selections);
    }
    return true;
  }

  #link(entry: Entry): void {
    const { worker } = entry;
    const cause = unavailability(worker);
    entry.org = this.#acquireOrg(worker.orgId);
    for (const modelId of worker.models) {
      const stats = this.#statsFor(modelId);
      stats.supporting++;
      stats.selectionSum += worker.selections;
      if (cause) {
        stats.unavailable[cause]++;
        continue;
      }
      let bucket = stats.byRegion[entry.regionIndex];
      if (!bucket) {
        const centre = REGIONS[entry.regionIndex] as Region;
        bucket = {
          centre,
          centreCos: latitudeCos(centre.lat),
          centreVector: REGION_VECTORS[entry.regionIndex] as UnitVector,
          regionIndex: entry.regionIndex,
          radiusKm: 0,
          queue: new SelectionQueue<Entry>(STRIDE),
        };
        stats.byRegion[entry.regionIndex] = bucket;
        stats.buckets.push(bucket);
      }
      bucket.radiusKm = Math.max(bucket.radiusKm, entry.distanceToCentreKm);
      const handle = bucket.queue.add(entry, worker.selections);
      writeRow(bucket.queue, handle, entry, modelId);
      entry.handles.push(handle);
    }
  }

  #unlink(entry: Entry): void {
    const { worker } = entry;
    const cause = unavailability(worker);
    for (let i = 0; i < worker.models.length; i++) {
      const stats = this.#statsFor(worker.models[i] as string);
      stats.supporting--;
      stats.selectionSum -= worker.selections;
      if (cause) {
        stats.unavailable[cause]--;
        continue;
      }
      (stats.byRegion[entry.regionIndex] as Bucket).queue.remove(entry.handles[i] as number);
    }
    entry.handles = [];
    this.#releaseOrg(worker.orgId);
  }

  #acquireOrg(orgId: string): number {
    let org = this.#orgs.get(orgId);
    if (!org) {
      org = { id: this.#nextOrg++, refs: 0 };
      this.#orgs.set(orgId, org);
    }
    org.refs++;
    return org.id;
  }

  #releaseOrg(orgId: string): void {
    const org = this.#orgs.get(orgId);
    if (org && --org.refs === 0) this.#orgs.delete(orgId);
  }

  #statsFor(modelId: string): ModelStats {
    let stats = this.#models.get(modelId);
    if (!stats) {
      stats = {
        modelId,
        supporting: 0,
        selectionSum: 0,
        unavailable: { quarantined: 0, stake: 0, slots: 0 },
        byRegion: [],
        buckets: [],
      };
      this.#models.set(modelId, stats);
    }
    return stats;
  }
}

function writeRow(queue: SelectionQueue<Entry>, handle: number, entry: Entry, modelId: string): void {
  const w = entry.worker;
  const data = queue.rows;
  const o = queue.positionOf(handle) * STRIDE;
  const ask = Number(w.askPerCuBaseUnits);
  data[o + LAT] = w.lat;
  data[o + LON] = w.lon;
  data[o + LAT_COS] = entry.latCos;
  data[o + LINK_PENALTY_MS] = linkPenaltyMs(w);
  data[o + ASK] = ask;
  data[o + ASK_EXACT] = Number.isSafeInteger(ask) ? 1 : 0;
  data[o + REPUTATION] = w.reputation;
  data[o + STAKE] = Number(w.stake);
  data[o + SELECTIONS] = w.selections;
  data[o + ORG] = entry.org;
  data[o + WARM] = w.loadedModels.includes(modelId) ? 1 : 0;
  data[o + X] = entry.vector.x;
  data[o + Y] = entry.vector.y;
  data[o + Z] = entry.vector.z;
}

/**
 * The region centre nearest to a worker (its bucket), and the numbers its rows keep about
 * where it is. The nearest centre is the one at the shortest chord (chord length grows with
 * arc length), so one haversine, to the chosen centre, replaces 32; a near-tie the two would
 * break differently only picks the other bucket, whose radius then covers the worker.
 */
function locate(p: LatLon): Pick<Entry, "regionIndex" | "distanceToCentreKm" | "latCos" | "vector"> {
  const vector = unitVector(p);
  let regionIndex = 0;
  let nearest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REGION_VECTORS.length; i++) {
    const c = REGION_VECTORS[i] as UnitVector;
    const dx = vector.x - c.x;
    const dy = vector.y - c.y;
    const dz = vector.z - c.z;
    const chord2 = dx * dx + dy * dy + dz * dz;
    if (chord2 < nearest) {
      regionIndex = i;
      nearest = chord2;
    }
  }
  const distanceToCentreKm = haversineKm(p, REGIONS[regionIndex] as Region);
  return { regionIndex, distanceToCentreKm, latCos: latitudeCos(p.lat), vector };
}

function validateWorker(w: Worker): void {
  if (typeof w.id !== "string" || w.id.length === 0) throw invalid(w, "id must be a non-empty string");
  if (!isValidLatLon(w)) throw invalid(w, `lat/lon (${w.lat}, ${w.lon}) out of range`);
  if (!Number.isInteger(w.freeSlots) || w.freeSlots < 0) throw invalid(w, `freeSlots must be an integer ≥ 0, got ${w.freeSlots}`);
  if (!Number.isInteger(w.selections) || w.selections < 0) throw invalid(w, `selections must be an integer ≥ 0, got ${w.selections}`);
  if (!Number.isFinite(w.reputation)) throw invalid(w, `reputation must be finite, got ${w.reputation}`);
  if (w.measuredRttMs !== undefined && !(w.measuredRttMs >= 0 && Number.isFinite(w.measuredRttMs)))
    throw invalid(w, `measuredRttMs must be ≥ 0, got ${w.measuredRttMs}`);
  if (w.models.length > MAX_MODELS_PER_WORKER) throw invalid(w, `serves ${w.models.length} models; at most ${MAX_MODELS_PER_WORKER}`);
}

// A function of its own rather than a closure in validateWorker: that ran on every upsert.
function invalid(w: Worker, why: string): Error {
  return new Error(`invalid worker ${JSON.stringify(w.id)}: ${why}`);
}
