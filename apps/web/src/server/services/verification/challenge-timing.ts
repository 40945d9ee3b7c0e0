/**
 * When a due challenge is sent (issue 12: "start times and rates that reveal nothing").
 *
 * A worker sees one stream of leases. For a challenge to look like a customer job in it, the
 * time since the lease before it must follow the same law as a customer job's. Sending it a
 * gap g after a customer lease, g drawn from the worker's own gaps, does not do that: other
 * customer leases fall inside g, so the challenge's "time since the previous lease" is
 * min(g, ...) and short gaps win (bench:por measured challenges at a median 518 ms after the
 * previous lease, customer jobs at 841 ms, and no challenge in the long tail: AUC 0.61 on
 * timing alone).
 *
 * So a pending challenge is re-anchored at every lease of its worker, of any kind: it is due
 * g after the newest lease, with a fresh g each time, and it is sent only if no lease came
 * first. A gap g then survives with the probability S(g) that the next lease is later than
 * g, so g is drawn with weight 1 / S(g) (the gaps' hazard): the gaps that are sent then
 * follow the customers' own law G, since G(g)/S(g) · S(g) ∝ G(g). Exact for traffic whose
 * gaps are independent (a renewal process); the simulation in challenge-timing.test.ts and
 * bench:por measure it on bursty traffic. A challenge waits about ln(n) + 0.58 leases before
 * it is sent (n gaps known), so the rate of challenges per customer job is unchanged.
 *
 * And it is armed only after an exponential delay (30 s on average): sent right after the
 * burst of customer jobs that drew it, challenges fell in busier moments than customer jobs
 * do (the simulation: leases in the ten seconds before, AUC 0.59 → 0.52). Not much longer:
 * the public feeds show each minute's traffic two minutes late, so challenges armed about
 * two minutes after the traffic that drew them arrived when the feed showed a busy minute
 * (bench:por: feed counts alone AUC 0.64 with a 2-minute delay).
 */

/** A late challenge is sent within this share of the horizon (about one tick). */
const LATE_JITTER_SHARE = 0.5;

/** The weights of gaps for the draw: gap i (ascending) weighs 1 / S, S the share of gaps ≥ it. */
export function hazardWeights(sortedGaps: readonly number[]): number[] {
  const n = sortedGaps.length;
  const weights = new Array<number>(n);
  // Ties share the survival of the first of them (all of them are ≥ that value).
  let firstOfRun = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && (sortedGaps[i] as number) !== (sortedGaps[i - 1] as number)) firstOfRun = i;
    weights[i] = n / (n - firstOfRun);
  }
  return weights;
}

/** A gap drawn from `gaps` with hazard weights; `random` in [0, 1). Undefined for no gaps. */
export function drawSurvivingGap(gaps: readonly number[], random: () => number): number | undefined {
  if (gaps.length === 0) return undefined;
  const sorted = [...gaps].sort((a, b) => a - b);
  const weights = hazardWeights(sorted);
  const total = weights.reduce((s, w) => s + w, 0);
  let r = random() * total;
  for (let i = 0; i < sorted.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return sorted[i];
  }
  return sorted.at(-1);
}

/**
 * The pending challenges of each worker and what the timing needs of its leases: the time of
 * its newest lease and its recent gaps (each measured at a customer lease, from the lease
 * before it of any kind: what a worker sees in front of a customer job). Pure and in memory;
 * the coordinator feeds it leases and asks it what is due (challenge-schedule.ts).
 */
export class ChallengeTimer<T> {
  private readonly nodes = new Map<
    string,
    { last: number | undefined; gaps: number[]; pending: { item: T; armAt: number; due: number; anchor?: number }[] }
  >();
  private pendingCount = 0;

  constructor(
    private readonly opts: {
      /** Mean delay (exponential) before a challenge is armed: it is sent far from the burst that drew it. */
      armMeanMs: number;
      random: () => number;
      /** Gaps kept per worker. */
      gapsPerNode: number;
      /** Bounds: pending challenges in all, and workers remembered. */
      maxPending: number;
      maxNodes: number;
    },
  ) {}

  get pending(): number {
    return this.pendingCount;
  }

  has(nodeId: string): boolean {
    return this.nodes.has(nodeId);
  }

  /** A worker's history from before this process (the database's), oldest gap first. */
  seed(nodeId: string, gaps: readonly number[], last: number | undefined): void {
    const n = this.node(nodeId);
    n.gaps = gaps.slice(-this.opts.gapsPerNode);
    n.last = last;
  }

  /** A lease of the worker at `at` (ms), of a customer job or not: armed challenges are due a fresh gap after it. */
  lease(nodeId: string, at: number, customer: boolean): void {
    const n = this.node(nodeId);
    if (n.last !== undefined && at <= n.last) return;
    if (customer && n.last !== undefined) {
      n.gaps.push(at - n.last);
      if (n.gaps.length > this.opts.gapsPerNode) n.gaps.shift();
    }
    n.last = at;
    for (const p of n.pending) if (p.armAt <= at) this.timeFrom(p, at, n.gaps);
  }

  /** A challenge drawn by a lease at `at`: armed after an exponential delay, then timed by the leases. */
  add(nodeId: string, item: T, at: number): boolean {
    if (this.pendingCount >= this.opts.maxPending) return false;
    const armAt = at - Math.log(1 - this.opts.random()) * this.opts.armMeanMs;
    this.node(nodeId).pending.push({ item, armAt, due: Number.POSITIVE_INFINITY });
    this.pendingCount++;
    return true;
  }

  /**
   * A challenge handed out by take() but not sent: a lease the timer had not heard of came
   * before its time (take() looks a tick ahead, and the leases reach it a tick late). It is
   * timed again from that lease once lease() hears of it, as if it had just been armed.
   */
  requeue(nodeId: string, item: T): boolean {
    if (this.pendingCount >= this.opts.maxPending) return false;
    this.node(nodeId).pending.push({ item, armAt: Number.NEGATIVE_INFINITY, due: Number.POSITIVE_INFINITY });
    this.pendingCount++;
    return true;
  }

  /** A challenge due at a fixed time (a worker with no traffic: nothing to time it by). */
  addAt(nodeId: string, item: T, due: number): boolean {
    if (this.pendingCount >= this.opts.maxPending) return false;
    this.node(nodeId).pending.push({ item, armAt: due, due });
    this.pendingCount++;
    return true;
  }

  /**
   * The challenges due by `now + horizonMs` (a caller that ticks passes about two ticks and
   * sends each at its `due`), at most one per worker; the worker's other pending challenges
   * are re-timed from the one sent. A challenge whose time passed before the timer could
   * hand it out (it heard of the lease it was timed from a tick late) is sent within the
   * next tick at a uniformly random instant: sent at once, it would fall on the tick's
   * instant, and tick after tick that phase gives challenges away (bench:por: the
   * millisecond of the second alone, AUC 0.56–0.60). Drawing a longer gap instead (it
   * "survived" that long) made its gap too long (the simulation: AUC 0.54).
   */
  take(now: number, horizonMs = 0): { nodeId: string; item: T; due: number }[] {
    const out: { nodeId: string; item: T; due: number }[] = [];
    for (const [nodeId, n] of this.nodes) {
      // An armed challenge is timed from the next lease (lease()); on a worker quiet for
      // longer than any gap it has had, there is no next lease to wait for: soon.
      const longest = n.gaps.length > 0 ? Math.max(...n.gaps) : 0;
      for (const p of n.pending) {
        if (p.due === Number.POSITIVE_INFINITY) {
          if (p.armAt <= now && (n.last === undefined || now - n.last > longest)) p.due = now + this.opts.random() * 1_000;
        } else if (p.due < now) {
          p.due = now + this.opts.random() * LATE_JITTER_SHARE * horizonMs;
        }
      }
      let first = -1;
      n.pending.forEach((p, i) => {
        if (p.due <= now + horizonMs && (first < 0 || p.due < (n.pending[first] as { due: number }).due)) first = i;
      });
      if (first >= 0) {
        const [sent] = n.pending.splice(first, 1);
        this.pendingCount--;
        const at = (sent as { due: number }).due;
        out.push({ nodeId, item: (sent as { item: T }).item, due: at });
        // The one sent is a lease the worker will see: the others are timed from it.
        for (const p of n.pending) if (p.armAt <= at) this.timeFrom(p, at, n.gaps);
      }
    }
    this.prune();
    return out;
  }

  private timeFrom(p: { due: number; anchor?: number }, at: number, gaps: readonly number[]): void {
    p.anchor = at;
    p.due = at + this.gap(gaps);
  }

  private gap(gaps: readonly number[]): number {
    // No gap known yet (a new worker): within a second, at random.
    return drawSurvivingGap(gaps, this.opts.random) ?? this.opts.random() * 1_000;
  }

  private node(nodeId: string) {
    let n = this.nodes.get(nodeId);
    if (!n) {
      n = { last: undefined, gaps: [], pending: [] };
      this.nodes.set(nodeId, n);
    }
    return n;
  }

  /** Workers with nothing pending are forgotten, oldest first, past maxNodes. */
  private prune(): void {
    if (this.nodes.size <= this.opts.maxNodes) return;
    const idle = [...this.nodes].filter(([, n]) => n.pending.length === 0).sort((a, b) => (a[1].last ?? 0) - (b[1].last ?? 0));
    for (const [id] of idle.slice(0, this.nodes.size - this.opts.maxNodes)) this.nodes.delete(id);
  }
}
