import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SAMPLING_POLICY,
  canaryRate,
  detectionProbability,
  jobsToDetect,
  reexecutionRate,
  samplingValue,
  shouldSample,
  workerRisk,
} from "./sampling-policy.ts";

const SEED = "0123456789abcdef-platform-secret";
const reputation = fc.double({ min: 0, max: 1, noNaN: true });
const jobs = fc.integer({ min: 0, max: 10_000_000 });

describe("re-execution and canary rates", () => {
  it("checks a new worker at the cap and a long-standing perfect one near the floor", () => {
    expect(reexecutionRate({ reputation: 1, completedJobs: 0 })).toBe(0.5);
    expect(reexecutionRate({ reputation: 0, completedJobs: 1_000_000 })).toBe(0.5);
    expect(reexecutionRate({ reputation: 1, completedJobs: 1_000_000 })).toBeCloseTo(0.02, 4);
    expect(reexecutionRate({ reputation: 1, completedJobs: 50 })).toBeCloseTo(0.02 + 0.48 * 0.5, 12);
    expect(canaryRate({ reputation: 1, completedJobs: 0 })).toBe(0.05);
    expect(workerRisk({ reputation: 0.5, completedJobs: 50 }, 50)).toBe(0.75);
  });

  it("refuses out-of-range inputs and policies", () => {
    expect(() => reexecutionRate({ reputation: 1.5, completedJobs: 0 })).toThrow(RangeError);
    expect(() => reexecutionRate({ reputation: Number.NaN, completedJobs: 0 })).toThrow(RangeError);
    expect(() => reexecutionRate({ reputation: 1, completedJobs: -1 })).toThrow(RangeError);
    const policy = { ...DEFAULT_SAMPLING_POLICY, reexecution: { floor: 0, cap: 0.5, warmupJobs: 50 } };
    expect(() => reexecutionRate({ reputation: 1, completedJobs: 0, policy })).toThrow(/floor/);
  });

  it("property: stays within [floor, cap]", () => {
    fc.assert(
      fc.property(reputation, jobs, (r, n) => {
        const rate = reexecutionRate({ reputation: r, completedJobs: n });
        expect(rate).toBeGreaterThanOrEqual(DEFAULT_SAMPLING_POLICY.reexecution.floor);
        expect(rate).toBeLessThanOrEqual(DEFAULT_SAMPLING_POLICY.reexecution.cap);
        const canary = canaryRate({ reputation: r, completedJobs: n });
        expect(canary).toBeGreaterThanOrEqual(DEFAULT_SAMPLING_POLICY.canary.floor);
        expect(canary).toBeLessThanOrEqual(DEFAULT_SAMPLING_POLICY.canary.cap);
      }),
    );
  });

  it("property: never rises with better reputation or more completed jobs", () => {
    fc.assert(
      fc.property(reputation, reputation, jobs, jobs, (r1, r2, n1, n2) => {
        const [rLow, rHigh] = r1 <= r2 ? [r1, r2] : [r2, r1];
        const [nLow, nHigh] = n1 <= n2 ? [n1, n2] : [n2, n1];
        expect(reexecutionRate({ reputation: rHigh, completedJobs: nLow })).toBeLessThanOrEqual(
          reexecutionRate({ reputation: rLow, completedJobs: nLow }),
        );
        expect(reexecutionRate({ reputation: rLow, completedJobs: nHigh })).toBeLessThanOrEqual(
          reexecutionRate({ reputation: rLow, completedJobs: nLow }),
        );
      }),
    );
  });
});

describe("shouldSample", () => {
  it("is deterministic per (seed, job, purpose) and depends on each", () => {
    const a = samplingValue(SEED, "job-1");
    expect(samplingValue(SEED, "job-1")).toBe(a);
    expect(samplingValue(`${SEED}x`, "job-1")).not.toBe(a);
    expect(samplingValue(SEED, "job-2")).not.toBe(a);
    expect(samplingValue(SEED, "job-1", "canary")).not.toBe(a);
    expect(samplingValue(Buffer.from(SEED), "job-1")).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(1);
  });

  it("samples nothing at rate 0 and everything at rate 1", () => {
    for (let i = 0; i < 100; i++) {
      expect(shouldSample(SEED, `job-${i}`, 0)).toBe(false);
      expect(shouldSample(SEED, `job-${i}`, 1)).toBe(true);
    }
  });

  it("refuses a short seed, an empty job id, and a rate outside [0, 1]", () => {
    expect(() => shouldSample("short", "job", 0.1)).toThrow(/at least 16 bytes/);
    expect(() => shouldSample(SEED, "", 0.1)).toThrow(RangeError);
    expect(() => shouldSample(SEED, "job", 1.1)).toThrow(RangeError);
    expect(() => shouldSample(SEED, "job", Number.NaN)).toThrow(RangeError);
  });

  it("samples close to the requested share (10 000 jobs, 4σ bounds)", () => {
    for (const rate of [0.02, 0.1, 0.5]) {
      let sampled = 0;
      for (let i = 0; i < 10_000; i++) if (shouldSample(SEED, `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, rate)) sampled++;
      const sigma = Math.sqrt(10_000 * rate * (1 - rate));
      expect(Math.abs(sampled - 10_000 * rate)).toBeLessThan(4 * sigma);
    }
  });

  it("property: monotone in rate (a job sampled at p is sampled at every p' ≥ p)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), reputation, reputation, (jobId, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (shouldSample(SEED, jobId, low)) expect(shouldSample(SEED, jobId, high)).toBe(true);
      }),
    );
  });
});

describe("detectionProbability", () => {
  it("computes 1 − (1 − p·f)^n", () => {
    expect(detectionProbability(0.02, 1, 150)).toBeCloseTo(1 - 0.98 ** 150, 12);
    expect(detectionProbability(0.02, 1, 150)).toBeCloseTo(0.952, 3);
    expect(detectionProbability(0.1, 0.5, 10)).toBeCloseTo(1 - 0.95 ** 10, 12);
    expect(detectionProbability(1, 1, 1)).toBe(1);
    expect(detectionProbability(0.5, 1, 0)).toBe(0);
    expect(detectionProbability(0, 1, 1_000)).toBe(0);
    // Tiny rates keep their precision: 1 − (1 − 1e-12)^1 is 1e-12, not 0 or 1.000088900582341e-12.
    expect(detectionProbability(1e-12, 1, 1)).toBe(1e-12);
  });

  it("refuses inputs outside their domain", () => {
    expect(() => detectionProbability(-0.1, 1, 1)).toThrow(RangeError);
    expect(() => detectionProbability(0.1, 2, 1)).toThrow(RangeError);
    expect(() => detectionProbability(0.1, 1, 1.5)).toThrow(RangeError);
  });

  it("property: in [0, 1] and non-decreasing in p, f and n", () => {
    fc.assert(
      fc.property(reputation, reputation, fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1_000 }), (p, f, n, extra) => {
        const d = detectionProbability(p, f, n);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
        expect(detectionProbability(p, f, n + extra)).toBeGreaterThanOrEqual(d);
        expect(detectionProbability(Math.min(1, p + 0.01), f, n)).toBeGreaterThanOrEqual(d);
        expect(detectionProbability(p, Math.min(1, f + 0.01), n)).toBeGreaterThanOrEqual(d);
      }),
    );
  });

  it("property: jobsToDetect is the smallest n reaching the confidence", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 0.999, noNaN: true }),
        (p, f, c) => {
          const n = jobsToDetect(p, f, c);
          expect(detectionProbability(p, f, n)).toBeGreaterThanOrEqual(c);
          if (n > 1) expect(detectionProbability(p, f, n - 1)).toBeLessThan(c);
        },
      ),
    );
    expect(jobsToDetect(0.02, 1, 0.95)).toBe(149);
    expect(jobsToDetect(0, 1, 0.5)).toBe(Number.POSITIVE_INFINITY);
  });
});
