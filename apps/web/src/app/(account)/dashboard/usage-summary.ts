import type { UsageBucket, UsageOverview } from "~/server/services/usage/get-usage-overview";
import type { UsageWindow } from "~/server/services/usage/usage-window";
import { tokens } from "./workers/format";

// The overview's words: each chart's one-sentence summary (what a screen reader reads and
// what anyone can read without the picture) and its axis labels. Pure, shared by the server
// page and the live client component.

export const WINDOW_LABEL: Record<UsageWindow, string> = {
  "24h": "the last 24 hours",
  "14d": "the last 14 days",
  "30d": "the last 30 days",
};
export const WINDOW_BUTTON: Record<UsageWindow, string> = { "24h": "24 h", "14d": "14 d", "30d": "30 d" };

/** A bucket's label on the axis: 14:00 for an hour, 11-27 for a day (UTC). */
export function bucketLabel(start: string, bucket: "hour" | "day"): string {
  return bucket === "hour" ? `${start.slice(11, 13)}:00` : start.slice(5, 10);
}

function when(b: UsageBucket, bucket: "hour" | "day"): string {
  return bucket === "hour" ? `${bucketLabel(b.start, bucket)} UTC` : `${b.start.slice(0, 10)}`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
export const percent = (rate: number) => `${(rate * 100).toFixed(1).replace(/\.0$/, "")} %`;
export function ms(v: number): string {
  return v < 1_000 ? `${v} ms` : `${(v / 1_000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

function maxBy(buckets: UsageBucket[], value: (b: UsageBucket) => number): UsageBucket | undefined {
  let best: UsageBucket | undefined;
  for (const b of buckets) if (value(b) > 0 && (!best || value(b) > value(best))) best = b;
  return best;
}

export function spendSummary(o: UsageOverview): string {
  const span = WINDOW_LABEL[o.window];
  if (BigInt(o.totals.spend) === 0n) return `Nothing spent in ${span}.`;
  const top = maxBy(o.buckets, (b) => Number(BigInt(b.spend)));
  const peak = top
    ? `; the most in one ${o.bucket} was ${tokens(top.spend)} tokens, ${o.bucket === "hour" ? "at" : "on"} ${when(top, o.bucket)}`
    : "";
  return `${tokens(o.totals.spend)} tokens spent in ${span}${peak}.`;
}

export function jobsSummary(o: UsageOverview): string {
  const t = o.totals;
  const span = WINDOW_LABEL[o.window];
  const canceled = t.canceled > 0 ? `; ${plural(t.canceled, "job")} canceled` : "";
  if (t.finished === 0) return `No jobs finished in ${span}${canceled}.`;
  const top = maxBy(o.buckets, (b) => b.finished);
  const busiest =
    top && o.buckets.filter((b) => b.finished > 0).length > 1
      ? `; the busiest ${o.bucket} was ${when(top, o.bucket)} with ${top.finished}`
      : "";
  return `${plural(t.finished, "job")} finished in ${span}: ${t.succeeded.toLocaleString("en")} succeeded, ${t.failed.toLocaleString("en")} failed${busiest}${canceled}.`;
}

export function successSummary(o: UsageOverview): string {
  const t = o.totals;
  const span = WINDOW_LABEL[o.window];
  if (t.successRate === null) return `No success rate for ${span}: no job finished.`;
  let worst: UsageBucket | undefined;
  for (const b of o.buckets) if (b.successRate !== null && (!worst || b.successRate < (worst.successRate ?? 1))) worst = b;
  const low =
    worst && worst.successRate !== null && worst.successRate < t.successRate
      ? `; the lowest ${o.bucket} was ${percent(worst.successRate)}, ${o.bucket === "hour" ? "at" : "on"} ${when(worst, o.bucket)}`
      : "";
  return `${percent(t.successRate)} of finished jobs succeeded in ${span} (${t.succeeded.toLocaleString("en")} of ${t.finished.toLocaleString("en")})${low}.`;
}

export function latencySummary(o: UsageOverview): string {
  const t = o.totals;
  const span = WINDOW_LABEL[o.window];
  if (t.p50Ms === null || t.p95Ms === null) return `No time to result for ${span}: no job succeeded.`;
  return `From submission to result in ${span}: half of the jobs took ${ms(t.p50Ms)} or less (p50) and 95 % took ${ms(t.p95Ms)} or less (p95).`;
}
