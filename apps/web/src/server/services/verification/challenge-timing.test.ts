import { createPrng } from "@proofgrid/por";
import { describe, expect, it } from "vitest";
import { ChallengeTimer, drawSurvivingGap, hazardWeights } from "./challenge-timing.ts";

// A worker's stream of leases, simulated: customer sessions (bursts of 1–8 jobs ~0.8 s
// apart, sessions 0.5–4 s apart, like bench:por's customers), and challenges drawn by the
// customer leases at rate P. The coordinator sees leases on its 200 ms tick, as
// challenge-schedule.ts does. What a worker can measure of each lease without its payload:
// the time since the lease before it, and how many leases came in the ten seconds and the
// minute before.

const P = 0.2;
const TICK_MS = 200;
type Lease = { at: number; challenge: boolean; since: number; last10s: number; last60s: number };

function customerArrivals(seed: string, count: number): number[] {
  const prng = createPrng(seed);
  const exp = (mean: number) => -Math.log(1 - prng.nextFloat()) * mean;
  const out: number[] = [];
  for (let t = 0; out.length < count; ) {
    const n = prng.int(1, 8);
    for (let k = 0; k < n; k++) {
      out.push(t);
      t += exp(800);
    }
    t += 500 + prng.nextFloat() * 3_500;
  }
  return out;
}

function withFeatures(events: { at: number; challenge: boolean }[]): Lease[] {
  events.sort((a, b) => a.at - b.at);
  return events.map((e, i) => {
    const within = (ms: number) => {
      let n = 0;
      for (let j = i - 1; j >= 0 && e.at - (events[j] as { at: number }).at <= ms; j--) n++;
      return n;
    };
    return { ...e, since: i > 0 ? e.at - (events[i - 1] as { at: number }).at : 0, last10s: within(10_000), last60s: within(60_000) };
  });
}

/** The former schedule: a challenge a gap after the customer lease that drew it, the gap drawn uniformly from the worker's customer gaps. */
function formerSchedule(seed: string): Lease[] {
  const prng = createPrng(`${seed}/schedule`);
  const customers = customerArrivals(seed, 30_000);
  const events = customers.map((at) => ({ at, challenge: false }));
  for (let i = 20; i < customers.length; i++) {
    if (prng.nextFloat() >= P) continue;
    const gaps = customers
      .slice(i - 20, i + 1)
      .map((c, k, a) => (k > 0 ? c - (a[k - 1] as number) : 0))
      .slice(1);
    events.push({ at: (customers[i] as number) + (gaps[prng.int(0, gaps.length - 1)] as number), challenge: true });
  }
  return withFeatures(events).slice(1_000);
}

/** The schedule of challenge-schedule.ts: ChallengeTimer fed on a tick, each challenge sent at its due time. */
function timerSchedule(seed: string): Lease[] {
  const prng = createPrng(`${seed}/schedule`);
  const timer = new ChallengeTimer<number>({
    armMeanMs: 30_000,
    random: () => prng.nextFloat(),
    gapsPerNode: 100,
    maxPending: 10_000,
    maxNodes: 10,
  });
  const customers = customerArrivals(seed, 30_000);
  const events = customers.map((at) => ({ at, challenge: false }));
  const end = customers.at(-1) as number;
  let seenUpTo = -1;
  for (let now = 0; now <= end; now += TICK_MS) {
    // The leases since the last tick, in time order (challenges sent are leases too).
    const fresh = events.filter((e) => e.at > seenUpTo && e.at <= now).sort((a, b) => a.at - b.at);
    seenUpTo = now;
    for (const e of fresh) {
      timer.lease("w", e.at, !e.challenge);
      if (!e.challenge && prng.nextFloat() < P) timer.add("w", 0, e.at);
    }
    for (const due of timer.take(now, 2 * TICK_MS)) {
      const at = Math.max(now, due.due);
      // As challenge-schedule.ts does at send time: a customer lease the timer has not heard
      // of yet came first, so this one is timed again from it.
      if (events.some((e) => !e.challenge && e.at > now && e.at < at)) timer.requeue("w", due.item);
      else events.push({ at, challenge: true });
    }
  }
  return withFeatures(events).slice(1_000);
}

/** AUC of a feature as a score for "is a challenge" (0.5: no better than chance). */
function auc(leases: Lease[], feature: "since" | "last10s" | "last60s"): number {
  const pos = leases.filter((s) => s.challenge).map((s) => s[feature]);
  const neg = leases.filter((s) => !s.challenge).map((s) => s[feature]);
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe("challenge timing", () => {
  it("weighs each gap by one over the share of gaps at least as long", () => {
    expect(hazardWeights([1, 2, 3, 4])).toEqual([1, 4 / 3, 2, 4]);
    expect(hazardWeights([1, 1, 2])).toEqual([1, 1, 3]);
    expect(drawSurvivingGap([], Math.random)).toBeUndefined();
    expect(drawSurvivingGap([5, 7], () => 0)).toBe(5);
    expect(drawSurvivingGap([5, 7], () => 0.999)).toBe(7);
  });

  it(
    "sends challenges whose time since the previous lease and recent load are a customer job's (the former schedule's are not)",
    { timeout: 120_000 },
    () => {
      const former = formerSchedule("challenge-timing");
      const timed = timerSchedule("challenge-timing");
      const share = timed.filter((s) => s.challenge).length / timed.filter((s) => !s.challenge).length;
      // The rate of challenges per customer job is kept.
      expect(share).toBeGreaterThan(P * 0.9);
      expect(share).toBeLessThan(P * 1.1);
      // The former schedule is told apart by timing alone; the timer's is not.
      expect(Math.abs(auc(former, "since") - 0.5)).toBeGreaterThan(0.07);
      expect(Math.abs(auc(former, "last10s") - 0.5)).toBeGreaterThan(0.05);
      expect(Math.abs(auc(timed, "since") - 0.5)).toBeLessThan(0.03);
      expect(Math.abs(auc(timed, "last10s") - 0.5)).toBeLessThan(0.035);
      expect(Math.abs(auc(timed, "last60s") - 0.5)).toBeLessThan(0.04);
      // Nor by the phase of the coordinator's tick: none is sent on a tick's instant (a late
      // one sent at once would be, tick after tick).
      const challenges = timed.filter((s) => s.challenge);
      expect(challenges.filter((s) => s.at % TICK_MS === 0).length / challenges.length).toBeLessThan(0.01);
    },
  );

  it("forgets idle workers past its bound and never holds more than maxPending", () => {
    const timer = new ChallengeTimer<string>({ armMeanMs: 0, random: Math.random, gapsPerNode: 3, maxPending: 2, maxNodes: 2 });
    expect(timer.add("a", "x", 0)).toBe(true);
    expect(timer.add("b", "y", 0)).toBe(true);
    expect(timer.add("c", "z", 0)).toBe(false);
    for (const id of ["c", "d", "e"]) timer.lease(id, 1, true);
    // a and b never leased: their challenges are timed as an idle worker's, within a second.
    expect(timer.take(10_000)).toEqual([]);
    const sent = timer.take(11_000);
    expect(sent.map((s) => s.item).sort()).toEqual(["x", "y"]);
    for (const s of sent) expect(s.due).toBeGreaterThanOrEqual(10_000);
    expect(timer.pending).toBe(0);
    expect(["a", "b", "c", "d", "e"].filter((id) => timer.has(id)).length).toBeLessThanOrEqual(2);
  });
});
