import { z } from "zod";

/** The coordinator's loop periods (coordinator/run-coordinator.ts). */
export const ZCoordinatorEnv = z.object({
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  NODE_OFFLINE_AFTER_MS: z.coerce.number().int().min(5_000).max(3_600_000).default(60_000),
  MAINTENANCE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  LEADER_RETRY_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Where the indexer's dispatcher runs: in a web process (one at a time leads it), where
   * submits and the workers' long-polls are, so a submit wakes it and its offers wake the
   * long-polls without a round trip through Postgres; or in the coordinator, woken by NOTIFY. */
  DISPATCH_IN: z.enum(["web", "coordinator"]).default("web"),
  /** Challenge progress (next registration job, ready for a checker) and check leases. */
  POR_ADVANCE_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(300),
  /** Planted checks, per tick. */
  POR_CANARY_TICK_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Auto top-ups, low-balance and spend-cap alerts. */
  BILLING_WATCH_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(15_000),
  /** Held earnings released, fraud audits advanced, and the executor of last resort, per tick. */
  POR_ECONOMICS_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** The challenge schedule's tick: challenges open within this of their drawn moment, so
   * their arrival times carry no visible phase of a coarse tick. */
  POR_SCHEDULE_TICK_MS: z.coerce.number().int().min(20).max(10_000).default(200),
  /** Customer inputs measured into traffic shapes (and donated content into the corpus). */
  POR_TRAFFIC_SAMPLE_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
});
