import { describe, expect, it } from "vitest";
import type { UsageBucket, UsageOverview } from "~/server/services/usage/get-usage-overview";
import { jobsSummary, latencySummary, spendSummary, successSummary } from "./usage-summary";

const empty = { spend: "0", finished: 0, succeeded: 0, failed: 0, canceled: 0, successRate: null, p50Ms: null, p95Ms: null };

function overview(buckets: Partial<UsageBucket>[], totals: Partial<UsageOverview["totals"]>): UsageOverview {
  return {
    window: "24h",
    bucket: "hour",
    from: "2026-11-26T11:00:00.000Z",
    to: "2026-11-27T11:00:00.000Z",
    buckets: buckets.map((b, i) => ({ ...empty, start: new Date(Date.UTC(2026, 10, 26, 11 + i)).toISOString(), ...b })),
    totals: { ...empty, ...totals },
    hasJobs: true,
  };
}

describe("overview summaries", () => {
  it("says what each chart shows, in words, with the peak and the worst hour", () => {
    const o = overview(
      [
        {},
        { spend: "2500000", finished: 4, succeeded: 3, failed: 1, successRate: 0.75 },
        { spend: "500000", finished: 1, succeeded: 1, successRate: 1 },
      ],
      { spend: "3000000", finished: 5, succeeded: 4, failed: 1, canceled: 2, successRate: 0.8, p50Ms: 240, p95Ms: 1_250 },
    );
    expect(spendSummary(o)).toBe("3 tokens spent in the last 24 hours; the most in one hour was 2.5 tokens, at 12:00 UTC.");
    expect(jobsSummary(o)).toBe(
      "5 jobs finished in the last 24 hours: 4 succeeded, 1 failed; the busiest hour was 12:00 UTC with 4; 2 jobs canceled.",
    );
    expect(successSummary(o)).toBe(
      "80 % of finished jobs succeeded in the last 24 hours (4 of 5); the lowest hour was 75 %, at 12:00 UTC.",
    );
    expect(latencySummary(o)).toBe(
      "From submission to result in the last 24 hours: half of the jobs took 240 ms or less (p50) and 95 % took 1.25 s or less (p95).",
    );
  });

  it("says so when there is nothing to show", () => {
    const o = overview([{}, {}], {});
    expect(spendSummary(o)).toBe("Nothing spent in the last 24 hours.");
    expect(jobsSummary(o)).toBe("No jobs finished in the last 24 hours.");
    expect(successSummary(o)).toBe("No success rate for the last 24 hours: no job finished.");
    expect(latencySummary(o)).toBe("No time to result for the last 24 hours: no job succeeded.");
    expect(jobsSummary(overview([{ finished: 1, succeeded: 1, successRate: 1 }], { finished: 1, succeeded: 1, successRate: 1 }))).toBe(
      "1 job finished in the last 24 hours: 1 succeeded, 0 failed.",
    );
  });
});
