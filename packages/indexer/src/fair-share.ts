// Weighted fair queuing between organisations: start-time fair queuing (Goyal et al., 1996)
// over each organisation's queue of jobs. An organisation's next job gets the start tag
// max(V, F_org), where F_org is the finish tag of its last dispatched job and V the start tag
// of the job dispatched last; the smallest start tag goes first, and dispatching a job of
// cost c advances F_org to start + c / weight. An organisation that floods the queue only
// pushes its own finish tags out; one that was idle starts at V and cannot bank credit.

export interface FairItem {
  orgId: string;
  /** Work the job takes (the dispatcher uses its CU cost); > 0. */
  cost: number;
}

export interface ScheduleHooks<T extends FairItem> {
  /** This organisation's share (> 0); a missing or invalid weight counts as 1. */
  weight(orgId: string): number;
  /** False once the organisation is at its concurrency limit. */
  admit(orgId: string): boolean;
  /** Try to place the item on a worker; false when no worker can take it now. */
  place(item: T): boolean;
  /** False when no capacity is left anywhere: the round stops early. */
  capacityLeft?(): boolean;
}

/** How many unplaceable items of one organisation are tried before it sits out the round. */
export const MAX_MISSES_PER_ORG = 64;

export class FairShare {
  #virtual = 0;
  readonly #finish = new Map<string, number>();

  /** The finish tag of an organisation's last dispatched job (for tests and diagnostics). */
  finishTag(orgId: string): number {
    return this.#finish.get(orgId) ?? 0;
  }

  /**
   * One dispatch round over `queues` (each organisation's jobs, oldest first). Items are
   * offered to `place` in fair order; returns those placed, in the order they were placed.
   * Within an organisation an item that cannot be placed (no worker for its model now) is
   * skipped rather than blocking the ones behind it.
   */
  schedule<T extends FairItem>(queues: ReadonlyMap<string, readonly T[]>, hooks: ScheduleHooks<T>): T[] {
    const placed: T[] = [];
    const heads = new Map<string, number>();
    const misses = new Map<string, number>();
    const active = new Set<string>();
    for (const [org, items] of queues) if (items.length > 0 && hooks.admit(org)) active.add(org);
    while (active.size > 0) {
      if (hooks.capacityLeft && !hooks.capacityLeft()) break;
      let org: string | undefined;
      let start = Number.POSITIVE_INFINITY;
      for (const o of active) {
        const s = Math.max(this.#virtual, this.#finish.get(o) ?? 0);
        if (s < start || (s === start && org !== undefined && o < org)) {
          start = s;
          org = o;
        }
      }
      if (org === undefined) break;
      const items = queues.get(org) ?? [];
      const at = heads.get(org) ?? 0;
      const item = items[at];
      heads.set(org, at + 1);
      if (!item) {
        active.delete(org);
        continue;
      }
      if (hooks.place(item)) {
        const w = validWeight(hooks.weight(org));
        this.#virtual = start;
        this.#finish.set(org, start + Math.max(item.cost, Number.MIN_VALUE) / w);
        placed.push(item);
        if (!hooks.admit(org)) active.delete(org);
      } else {
        const m = (misses.get(org) ?? 0) + 1;
        misses.set(org, m);
        if (m >= MAX_MISSES_PER_ORG) active.delete(org);
      }
      if ((heads.get(org) ?? 0) >= items.length) active.delete(org);
    }
    return placed;
  }

  /** Forget organisations with no queued work whose tags are behind the virtual time. */
  prune(): void {
    for (const [org, f] of this.#finish) if (f <= this.#virtual) this.#finish.delete(org);
  }
}

function validWeight(w: number): number {
  return Number.isFinite(w) && w > 0 ? w : 1;
}
