// Workers of one bucket ordered by how often they have been chosen, least first, so the
// index offers under-used workers as candidates before busy ones. Counts are bucketed
// (count → insertion-ordered set): an assignment moves a worker from count c to c + 1 in
// O(1) plus a binary search over the distinct counts, which fairness keeps few.
import type { Worker } from "./scoring.ts";

export class SelectionQueue {
  readonly #byCount = new Map<number, Set<Worker>>();
  /** Distinct selection counts present, ascending. */
  readonly #counts: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(worker: Worker): void {
    let set = this.#byCount.get(worker.selections);
    if (!set) {
      set = new Set();
      this.#byCount.set(worker.selections, set);
      this.#counts.splice(this.#lowerBound(worker.selections), 0, worker.selections);
    }
    set.add(worker);
    this.#size++;
  }

  /** `worker` must be the same object that was added (the index stores frozen snapshots). */
  remove(worker: Worker): void {
    const set = this.#byCount.get(worker.selections);
    if (!set?.delete(worker)) throw new Error(`selection queue: worker ${worker.id} is not in the queue`);
    this.#size--;
    if (set.size === 0) {
      this.#byCount.delete(worker.selections);
      this.#counts.splice(this.#lowerBound(worker.selections), 1);
    }
  }

  /** Visits workers least-selected first until `visit` returns false. */
  forEachAscending(visit: (worker: Worker) => boolean): void {
    for (const count of this.#counts) {
      const set = this.#byCount.get(count);
      if (!set) continue;
      for (const worker of set) if (!visit(worker)) return;
    }
  }

  #lowerBound(count: number): number {
    let lo = 0;
    let hi = this.#counts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#counts[mid] ?? 0) < count) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
