/**
 * Counts that halve every `halfLifeMs`: the dispatcher's placements per worker, for the
 * indexer's fairness term. A worker that stops getting jobs falls below its peers' mean
 * within about a half-life, whatever it was given before (a count since start-up never
 * would: a restarted worker stayed starved for as long as the coordinator had run).
 */
export class DecayingCounts {
  readonly #counts = new Map<string, { count: number; at: number }>();

  constructor(readonly halfLifeMs: number) {}

  /** The count of `id` as of `now` (ms). */
  get(id: string, now: number): number {
    const s = this.#counts.get(id);
    if (!s) return 0;
    return s.count * 2 ** (-(now - s.at) / this.halfLifeMs);
  }

  /** The count of `id` as of `now`, rounded: the indexer takes whole selections. */
  whole(id: string, now: number): number {
    return Math.round(this.get(id, now));
  }

  /** Counts one more for `id` at `now`; entries that have decayed to nothing are dropped. */
  add(id: string, now: number): void {
    this.#counts.set(id, { count: this.get(id, now) + 1, at: now });
    if (this.#counts.size > 10_000) for (const [k] of this.#counts) if (this.get(k, now) < 1e-3) this.#counts.delete(k);
  }
}
