import { getEnv } from "../../env.ts";

// Read by both processes that bill: the coordinator (completed periods) and the web app
// (an early release bills the periods since the last bill). Both get the same environment.

export interface ReservationConfig {
  billingPeriodMs: number;
  /** How often the coordinator looks for completed periods: a quarter period, within 0.5-30 s. */
  billingTickMs: number;
}

export function getReservationConfig(): ReservationConfig {
  const period = getEnv().RESERVATION_BILLING_PERIOD_MS;
  return { billingPeriodMs: period, billingTickMs: Math.min(30_000, Math.max(500, Math.floor(period / 4))) };
}

/** Bounds on one booking. */
export const RESERVATION_LIMITS = {
  maxCount: 64,
  maxHours: 720,
  /** Shorter windows are mistakes (a period has millisecond resolution, a bill is integral). */
  minWindowMs: 1_000,
  /** A start may be a little in the past (the request was in flight), never more. */
  startSlackMs: 60_000,
  /** How far ahead a reservation may start. */
  maxLeadMs: 30 * 86_400_000,
  maxMinCuPerHour: 10_000_000,
  /** Nodes locked and considered per booking: far above any region's worker count here. */
  maxCandidates: 2_000,
} as const;
