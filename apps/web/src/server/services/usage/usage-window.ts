import { orgAccountCode } from "@proofgrid/db/ledger";
import { z } from "zod";

/**
 * The overview's windows: a day in hours, two weeks or a month in days. Each is at most 30
 * buckets, so a chart stays readable and one read sorts at most a month of one organisation's
 * jobs.
 */
export const USAGE_WINDOWS = {
  "24h": { bucket: "hour", buckets: 24, bucketMs: 3_600_000, label: "the last 24 hours" },
  "14d": { bucket: "day", buckets: 14, bucketMs: 86_400_000, label: "the last 14 days" },
  "30d": { bucket: "day", buckets: 30, bucketMs: 86_400_000, label: "the last 30 days" },
} as const;
export type UsageWindow = keyof typeof USAGE_WINDOWS;
export const USAGE_WINDOW_IDS = Object.keys(USAGE_WINDOWS) as [UsageWindow, ...UsageWindow[]];

export const ZUsageOverviewRequest = z.object({ window: z.enum(USAGE_WINDOW_IDS).default("24h") });
export type TUsageOverviewRequest = z.input<typeof ZUsageOverviewRequest>;

/**
 * What the customer was charged, read from the ledger rather than from `jobs.price`: a
 * settlement moves the charge out of the organisation's accounts (the rest of the hold goes
 * back to `available` in the same transfer), a reservation bills its hours, a slash refunds a
 * job proven wrong, and a free re-run's grant pays for the re-run. Holds and releases only
 * move tokens between the organisation's own two accounts, so they net to zero — except a
 * free re-run's release, which returns the unspent grant to the emission pool and so
 * cancels that part of the grant; grants, purchases and stakes are not spending and are
 * left out.
 */
export const SPEND_TRANSFER_KINDS = ["settle", "reservation_bill", "slash", "rerun_grant", "release"] as const;

/** The organisation's spending accounts: credits and the holds on them. */
export function customerAccountCodes(orgId: string): string[] {
  return [orgAccountCode(orgId, "available"), orgAccountCode(orgId, "held")];
}

/** Buckets end with the one that holds `now`; each starts on the UTC hour or day. */
export function windowBounds(window: UsageWindow, now: number): { fromMs: number; toMs: number } {
  const w = USAGE_WINDOWS[window];
  const toMs = Math.floor(now / w.bucketMs) * w.bucketMs + w.bucketMs;
  return { fromMs: toMs - w.buckets * w.bucketMs, toMs };
}
