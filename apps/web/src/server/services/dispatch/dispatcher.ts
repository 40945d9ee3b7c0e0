import { type AssignedJob, type Assignment, assignJobs } from "@proofgrid/db/jobs";
import { sql } from "@proofgrid/db/sql-client";
import { type Decision, FairShare, type Job, linearScan, MAX_MODELS_PER_WORKER, placeJob, WorkerIndex } from "@proofgrid/indexer";
import { getEnv } from "../../env.ts";
import { priceForCost } from "../billing/pricing.ts";
import { jobEvents } from "../../events/job-events.ts";
import { logger } from "../../logger.ts";
import { sleep } from "../../sleep.ts";
import { loadNetwork, loadQueued, type NetworkWorker, type QueuedJob } from "./network.ts";
import { DecayingCounts } from "./decaying-counts.ts";
import { type IdleLessee, takeIdleLessee } from "../nodes/idle-lessees.ts";

/** Queued jobs read per organisation per round: the fair scheduler's look-ahead. */
const QUEUE_WINDOW_PER_ORG = 256;
/** A node that let an offer lapse gets no new offers for this long (it may be dead). */
const LAPSE_COOLDOWN_MS = 30_000;
/** The fairness counts halve in this long: a restarted worker gets its share back within about this. */
const SELECTION_HALF_LIFE_MS = 60_000;
/** Winners a job may pass over because the job would take them past their exposure limit. */
const MAX_EXPOSURE_SKIPS = 8;

/** What the job's owner sees of a placement (stored on the job, returned by the API). */
export interface Placement {
  decidedAt: string;
  via: "indexer" | "reservation" | "pinned";
  workerId: string;
  workerRegion: string;
  clientRegion: string;
  score: number | null;
  expectedRttMs: number | null;
  explanation: Decision["explanation"] | null;
  considered: number;
  scanned: number;
  reservationId: string | null;
}

export interface TickResult {
  placed: number;
  /** The jobs it placed. */
  placedIds: readonly string[];
  queued: number;
  workers: number;
  /** Jobs may wait that this round did not place (left over, or beyond its look-ahead): a
   * slot that frees is worth a round. False when the queue was empty or the round placed all
   * of it; null when every slot was taken and the queue went unread (the loop then knows
   * whether a job was queued since it last read it). */
  backlog: boolean | null;
}

/**
 * The indexer as a platform service: each round reads the network (workers with free slots,
 * reputation, stake, reservations) and the organisations' queues, orders the jobs by
 * weighted fair queuing between organisations within their concurrency limits, places each
 * with @proofgrid/indexer (hard filters, then the scored choice, with its explanation),
 * and offers the jobs to their workers in one statement. Runs on the coordinator leader
 * only, so there is one placer; a round after a crash starts from the database alone.
 */
export class Dispatcher {
  readonly #fair = new FairShare();
  /**
   * Jobs given to each worker by this placer, the fairness term's selection counts, decayed
   * with a half-life of SELECTION_HALF_LIFE_MS. Counted since start-up instead, a worker
   * restarted (cold: no model loaded, so it loses on warmth) after the coordinator had run
   * for a time T stayed below its warm peers' score until they had gained T's worth of
   * placements more: `bench:soak` showed one idle for 213 s while its peers took twice
   * their share. Decayed, the counts of a worker that gets nothing fall below the mean
   * within about a half-life, and fairness brings it back.
   */
  readonly #selections = new DecayingCounts(SELECTION_HALF_LIFE_MS);
  // Needs no bound: each round drops expired entries before adding any, so it holds only nodes put on cooldown in the last 30 s.
  readonly #cooldown = new Map<string, number>();
  /** Free slots the last round found (1 before the first: read the queue at once). */
  #lastCapacity = 1;

  /** A worker let an offer lapse: skip it for a while. */
  noteLapse(nodeId: string): void {
    this.#cooldown.set(nodeId, Date.now() + LAPSE_COOLDOWN_MS);
  }

  /** One round; `signal`: the leadership the round runs under (lost: it offers nothing). */
  async tick(signal?: AbortSignal): Promise<TickResult> {
    const env = getEnv();
    let window = 0;
    const readQueue = async (capacity: number) => {
      // Look ahead a few jobs per free slot and organisation, enough to skip jobs no worker
      // can take now without reading a whole flood.
      // The queues and their organisations' shares: one statement, one snapshot.
      window = Math.min(QUEUE_WINDOW_PER_ORG, Math.max(16, capacity * 4));
      return loadQueued(sql(), window);
    };
    // While the last round found free slots, the network and the queue are read at once (a
    // round's wait is then the longer of the two reads, not their sum; the look-ahead is
    // sized by the last round's capacity). When every slot was taken, the network is read
    // first and the queue only if a slot has freed: with a deep queue that read is most of
    // a round's cost, and every submit wakes a round.
    const early = this.#lastCapacity > 0 ? readQueue(this.#lastCapacity) : null;
    // A failed network read must not leave the early read's rejection unobserved.
    early?.catch(() => {});
    const workers = await loadNetwork(sql());
    let capacity = 0;
    for (const w of workers) capacity += w.freeSlots;
    this.#lastCapacity = capacity;
    // Nothing can be placed while every slot is taken.
    if (capacity === 0) {
      await early?.catch(() => {});
      return { placed: 0, placedIds: [], queued: -1, workers: workers.length, backlog: null };
    }
    const { queues, shares } = await (early ?? readQueue(capacity));
    let queued = 0;
    for (const list of queues.values()) queued += list.length;
    if (queued === 0) return { placed: 0, placedIds: [], queued, workers: workers.length, backlog: false };
    let full = false;
    for (const list of queues.values()) if (list.length >= window) full = true;

    const now = Date.now();
    for (const [id, until] of this.#cooldown) if (until <= now) this.#cooldown.delete(id);
    for (const list of queues.values())
      for (const j of list) {
        const last = j.declined.at(-1);
        if (last && !this.#cooldown.has(last)) this.noteLapse(last);
      }

    // Uploaded models (issue 17) are in no worker's registered `models`: a worker that accepts
    // them can run any, so this round it is indexed under each one queued now. A worker that
    // did not opt in is never under one, so the indexer cannot choose it for such a job.
    const customModels = new Set<string>();
    for (const list of queues.values()) for (const j of list) if (j.custom) customModels.add(j.modelId);

    const byId = new Map<string, NetworkWorker>();
    const index = new WorkerIndex();
    const reserved = new Map<string, NetworkWorker[]>();
    let free = 0;
    for (const w of workers) {
      w.selections = this.#selections.whole(w.id, now);
      if (w.acceptsCustomModels && customModels.size > 0) {
        // Within the indexer's bound on a worker's list: jobs on further uploaded models wait a round.
        const room = Math.max(0, MAX_MODELS_PER_WORKER - w.models.length);
        w.models = [...w.models, ...[...customModels].filter((m) => !w.models.includes(m)).slice(0, room)];
      }
      byId.set(w.id, w);
      free += w.freeSlots;
      if (w.reservedFor) {
        const list = reserved.get(w.reservedFor.orgId) ?? [];
        list.push(w);
        reserved.set(w.reservedFor.orgId, list);
        // Reserved workers serve their organisation first: others get them only while it
        // has nothing queued.
        if (queues.has(w.reservedFor.orgId)) continue;
      }
      if (this.#cooldown.has(w.id)) continue;
      // The penalty ladder's allocation probability: a node at factor f is in this round's
      // index with probability f.
      if (w.priorityFactor < 1 && Math.random() > w.priorityFactor) continue;
      try {
        index.upsert(w);
      } catch (err) {
        // One bad row (a corrupt location, say) must not stop placement for everyone.
        logger.error({ err, nodeId: w.id }, "dispatch: worker left out of the index");
      }
    }

    const assignments: Assignment[] = [];
    const jobOf = new Map<string, QueuedJob>();
    const take = (job: QueuedJob, worker: NetworkWorker, placement: Placement, unitPrice: bigint) => {
      assignments.push({ jobId: job.id, nodeId: worker.id, unitPrice, placement, reservationId: placement.reservationId });
      jobOf.set(job.id, job);
      worker.freeSlots--;
      worker.selections++;
      this.#selections.add(worker.id, now);
      if (index.get(worker.id)) index.assign(worker.id);
      const share = shares.get(job.orgId);
      if (share) share.open++;
      free--;
    };

    const place = (job: QueuedJob): boolean => {
      if (job.pinnedNodeId) {
        // A challenge can only run on its node: offered again even after a lapse.
        const w = byId.get(job.pinnedNodeId);
        if (!w || w.freeSlots <= 0) return false;
        take(job, w, placementOf(job, w, "pinned", null, null), w.askPerCuBaseUnits);
        return true;
      }
      const ijob: Job = {
        modelId: job.modelId,
        orgId: job.orgId,
        clientRegion: job.clientRegion,
        maxPerCuBaseUnits: job.maxPerCuBaseUnits,
      };
      // The organisation's own reserved workers first; it pays for them by the hour.
      const own = reserved.get(job.orgId)?.filter((w) => w.freeSlots > 0 && !job.declined.includes(w.id));
      if (own && own.length > 0) {
        const d = linearScan({ ...ijob, maxPerCuBaseUnits: undefined }, own, { allowSameOrg: true });
        const w = d.workerId ? byId.get(d.workerId) : undefined;
        if (w?.reservedFor) {
          take(job, w, placementOf(job, w, "reservation", d, w.reservedFor.reservationId), 0n);
          return true;
        }
      }
      // Workers this job's offer lapsed on sit out its placement, and so do winners the job
      // would take past their exposure limit (the value they may hold: stake, starter
      // allowance; verification/exposure.ts).
      const out = job.declined.map((id) => index.get(id)).filter((w): w is NetworkWorker => w !== undefined);
      for (const w of out) index.remove(w.id);
      const skipped: NetworkWorker[] = [];
      try {
        for (let tries = 0; tries <= MAX_EXPOSURE_SKIPS; tries++) {
          const d = placeJob(ijob, index);
          const w = d.workerId ? byId.get(d.workerId) : undefined;
          if (!w) return false;
          if (w.exposure && !w.exposure.take(w.id, priceForCost(job.cost, w.askPerCuBaseUnits))) {
            index.remove(w.id);
            skipped.push(w);
            continue;
          }
          take(job, w, placementOf(job, w, "indexer", d, null), w.askPerCuBaseUnits);
          if (w.exposure && w.exposure.headroom(w.id) <= 0n && index.get(w.id)) {
            // Nothing left to hold: out of this round's index (counted as lacking stake).
            w.minStakeOk = false;
            index.upsert(w);
          }
          return true;
        }
        return false;
      } finally {
        for (const w of [...out, ...skipped]) index.upsert(byId.get(w.id) ?? w);
      }
    };

    this.#fair.schedule(queues, {
      weight: (org) => shares.get(org)?.weight ?? 1,
      admit: (org) => {
        const s = shares.get(org);
        return !s || s.open < s.limit;
      },
      place: (job) => {
        try {
          return place(job);
        } catch (err) {
          logger.error({ err, jobId: job.id }, "dispatch: placement failed; the job waits for the next round");
          return false;
        }
      },
      capacityLeft: () => free > 0,
    });
    this.#fair.prune();

    // A leader that lost its lock while the round read and placed offers nothing: another
    // may lead by now (it would place from its own reads).
    if (signal?.aborted) return { placed: 0, placedIds: [], queued, workers: workers.length, backlog: true };
    // A job placed on a node with a lease long-poll waiting in this process is leased to it in
    // the placing statement (what its claim would check, checked here; the round's read of
    // the node's standing stands for the lease gate's).
    const lessees = new Map<string, IdleLessee>();
    for (const a of assignments) {
      const job = jobOf.get(a.jobId);
      if (!job) continue;
      const lessee = takeIdleLessee(a.nodeId, (l) => claimable(job, l));
      if (!lessee) continue;
      lessees.set(a.jobId, lessee);
      a.claim = true;
    }
    let done: AssignedJob[] = [];
    try {
      done = await assignJobs(sql(), assignments, { offerMs: env.DISPATCH_OFFER_MS, leaseMs: env.LEASE_DURATION_MS });
    } finally {
      // Committed (or failed): the long-polls taken get their job, or null and look again.
      for (const d of done) {
        if (!d.claimed) continue;
        lessees.get(d.id)?.hand(d.claimed);
        lessees.delete(d.id);
      }
      for (const l of lessees.values()) l.hand(null);
    }
    // Committed: the long-polls of the chosen workers in this process wake now (the others
    // by NOTIFY).
    const nodeOf = new Map(assignments.map((a) => [a.jobId, a.nodeId]));
    // (A job leased here needs none: its long-poll has it, and nothing waits for `running`.)
    for (const d of done) if (!d.claimed) jobEvents.deliverLocal({ id: d.id, state: "assigned", node_id: nodeOf.get(d.id) ?? null });
    const assigned = done.map((d) => d.id);
    if (assigned.length > 0)
      logger.debug(
        { placed: assigned.length, leased: done.filter((d) => d.claimed).length, queued, workers: workers.length },
        "dispatch round",
      );
    return { placed: assigned.length, placedIds: assigned, queued, workers: workers.length, backlog: full || queued > assigned.length };
  }
}

/** What a claim checks (claimJob), for a job leased to an idle long-poll directly: the node
 * runs the job's model, and a node on pinned-only (quarantined, disputed, over its exposure
 * limit when it last looked) gets only the challenges pinned to it. */
function claimable(job: QueuedJob, l: IdleLessee): boolean {
  const pinnedOk = job.pinnedNodeId === l.node.id || (job.pinnedNodeId === null && !l.pinnedOnly);
  const runs = l.node.models.includes(job.modelId) || (job.custom && l.node.acceptsCustomModels);
  return pinnedOk && runs;
}

function placementOf(job: QueuedJob, w: NetworkWorker, via: Placement["via"], d: Decision | null, reservationId: string | null): Placement {
  return {
    decidedAt: new Date().toISOString(),
    via,
    workerId: w.id,
    workerRegion: w.region,
    clientRegion: job.clientRegion,
    score: d?.score ?? null,
    expectedRttMs: d?.expectedRttMs ?? null,
    explanation: d?.explanation ?? null,
    considered: d?.considered ?? 0,
    scanned: d?.scanned ?? 0,
    reservationId,
  };
}

/**
 * The dispatch loop: a round whenever a job is queued or a job leaves a worker (a slot
 * frees), woken by `LISTEN/NOTIFY`, with polling as the fallback. Events during a round
 * mark it dirty so the next round starts at once.
 */
export async function runDispatcher(opts: { signal: AbortSignal; dispatcher?: Dispatcher }): Promise<void> {
  const dispatcher = opts.dispatcher ?? new Dispatcher();
  const env = getEnv();
  let dirty = true;
  /** Whether jobs may wait that the last round did not place (unknown before the first). */
  let backlog = true;
  // Whether a job was queued that no round has placed since, for a round that cannot read
  // the queue (every slot taken). A queued event that comes while a round runs may be of a
  // job that round read and placed: it is news only if the round did not place it. One that
  // comes between rounds is always news (a job handed back after its placement, say).
  /** A round is running. */
  let inRound = false;
  /** Jobs whose queued event came while the running round ran (bounded: one round's span). */
  let queuedDuring = new Set<string>();
  /** A queued event since the last round ended (or one during it that it did not place). */
  let queuedNews = false;
  let wake: (() => void) | undefined;
  const unsubscribe = await jobEvents.subscribe((e) => {
    if (e.state === "queued") {
      if (!inRound) queuedNews = true;
      else if (queuedDuring.size < 100_000) queuedDuring.add(e.id);
      else queuedNews = true;
    }
    // Our own offers need no round; running jobs take no new slot. A slot that frees (a job
    // ended) needs one only while jobs wait: after a round that placed the whole queue, a
    // quiet network's completions cost no round (issue 15; a job queued since always wakes
    // one, and the polling fallback stays).
    if (e.state === "assigned" || e.state === "running") return;
    if (e.state !== "queued" && !backlog) return;
    dirty = true;
    wake?.();
  });
  let failures = 0;
  try {
    while (!opts.signal.aborted) {
      if (dirty) {
        dirty = false;
        const news = queuedNews;
        queuedNews = false;
        inRound = true;
        try {
          const r = await dispatcher.tick(opts.signal);
          failures = 0;
          // Every slot taken, the queue unread: jobs wait if they did before, or if one was
          // queued that no round has placed since (a job's queued event that comes during
          // the round that placed it costs no round more when its slot frees).
          backlog = r.backlog ?? (backlog || news);
          const placed = new Set(r.placedIds);
          for (const id of queuedDuring) if (!placed.has(id)) queuedNews = true;
          // Placed everything it could and more may be placeable (look-ahead was full): go again.
          if (r.placed > 0 && r.queued > r.placed) dirty = true;
        } catch (err) {
          failures++;
          dirty = true;
          backlog = true;
          queuedNews = true;
          logger.error({ err, failures }, "dispatch round failed");
          await sleep(Math.min(env.DISPATCH_INTERVAL_MS * 2 ** failures, 30_000), opts.signal);
          continue;
        } finally {
          inRound = false;
          queuedDuring = new Set();
        }
      }
      if (dirty) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, env.DISPATCH_INTERVAL_MS);
        function done() {
          clearTimeout(t);
          wake = undefined;
          opts.signal.removeEventListener("abort", done);
          resolve();
        }
        wake = done;
        opts.signal.addEventListener("abort", done, { once: true });
      });
      // The polling fallback: a round even without a wake-up (a worker came online).
      dirty = true;
    }
  } finally {
    unsubscribe();
  }
}
