import { getEnv } from "../../env.ts";
import { jobEvents } from "../../events/job-events.ts";
import { logger } from "../../logger.ts";
import { sql } from "@proofgrid/db/sql-client";
import { Dispatcher } from "./dispatcher.ts";
import { loadNetwork, type NetworkWorker } from "./network.ts";

/** A network read started before a submit's transaction serves the round after it only if
 * started this recently (a submit's transaction takes a few milliseconds). */
const NETWORK_PREFETCH_MAX_AGE_MS = 50;

/**
 * Placement at submit (issue 15). Without it a job's way to a worker is: the submit commits,
 * the trigger's NOTIFY reaches the coordinator, its dispatcher reads the network and the
 * queue and offers the job, that offer's NOTIFY reaches the web process where the worker's
 * lease waits, and the lease claims it: two hops through Postgres and a third process on the
 * path of every job.
 *
 * Here a web process in which a worker is waiting for an offer (a lease long-poll or a
 * session's lease, open in this process) runs the same indexer round itself as soon as a
 * submit has committed, and wakes the worker's wait in memory. It is the dispatcher's own
 * round (`Dispatcher.tick`: fair queuing between organisations, their concurrency limits,
 * reservations, exposure limits, the penalty ladder, the same scored choice), so a job is
 * placed by the same rules whichever process places it. The coordinator's dispatcher keeps
 * placing what is queued (a worker connected to another process, a slot that frees later).
 *
 * Two placers can run at once, here and on the coordinator (or in two web processes).
 * `assignJobs` offers a job only while it is still queued, so a job is never offered twice;
 * two rounds may each offer a different job to the same free slot, and the worker then
 * leases the second when the first is done, or lets it lapse to another worker after
 * DISPATCH_OFFER_MS — a cost in latency that needs several queued jobs and a race, never
 * in correctness. This process's fairness counts (the indexer's selection term) are its own.
 *
 * Rounds do not overlap: submits during a round mark it dirty and one more round follows.
 * The client's answer never waits for a round, and a failed round only logs (the
 * coordinator places the job).
 */
class SubmitPlacer {
  readonly #dispatcher = new Dispatcher({
    onAssigned: (offers) => {
      for (const { assignment, worker } of offers) {
        // The lease gate's two questions, answered by this round's read of the node: quarantined
        // or disputed (`quarantined` covers both), and over its exposure limit after the offers.
        const pinnedOnly = worker.quarantined || (worker.exposure?.overLimit(worker.id) ?? false);
        jobEvents.wakeNode({ id: assignment.jobId, state: "assigned", node_id: assignment.nodeId, gate: { pinnedOnly } });
      }
    },
  });
  #running = false;
  #prefetched: { at: number; read: Promise<NetworkWorker[]> } | undefined;
  #dirty = false;
  #rounds = 0;

  /** No round running or about to run. */
  get idle(): boolean {
    return !this.#running;
  }

  /** Rounds run in this process since it started. */
  get rounds(): number {
    return this.#rounds;
  }

  /**
   * A submit is about to open its transaction: when a worker waits here, start reading the
   * network (workers, their open jobs, stake and exposure) now, so that the round after the
   * commit waits only for the queue. The read does not depend on the new job; it is used
   * only by the next round, and only within NETWORK_PREFETCH_MAX_AGE_MS.
   */
  prefetch(): void {
    if (getEnv().PLACE_AT_SUBMIT !== "1" || jobEvents.nodesWaiting === 0 || this.#running) return;
    if (this.#prefetched && performance.now() - this.#prefetched.at < NETWORK_PREFETCH_MAX_AGE_MS) return;
    const read = loadNetwork(sql());
    read.catch(() => {}); // a failure is the round's, if a round uses it
    this.#prefetched = { at: performance.now(), read };
  }

  /** A job was queued by this process: place it now if a worker waits here. */
  nudge(): void {
    if (getEnv().PLACE_AT_SUBMIT !== "1" || jobEvents.nodesWaiting === 0) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#dirty = false;
        this.#rounds++;
        const pre = this.#prefetched;
        this.#prefetched = undefined;
        const network = pre && performance.now() - pre.at < NETWORK_PREFETCH_MAX_AGE_MS ? pre.read : undefined;
        try {
          await this.#dispatcher.tick({ network });
        } catch (err) {
          logger.warn({ err }, "placement at submit failed; the coordinator's dispatcher places the job");
          return;
        }
      } while (this.#dirty && jobEvents.nodesWaiting > 0);
    } finally {
      this.#running = false;
      this.#dirty = false;
    }
  }
}

const globalForPlacer = globalThis as unknown as { proofgridSubmitPlacer?: SubmitPlacer };
export const submitPlacer: SubmitPlacer = globalForPlacer.proofgridSubmitPlacer ?? new SubmitPlacer();
globalForPlacer.proofgridSubmitPlacer = submitPlacer;
