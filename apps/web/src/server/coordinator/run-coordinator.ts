import { setMaxListeners } from "node:events";
import { extendLeasesAfterOutage } from "@proofgrid/db/jobs";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";
import { sleep } from "../sleep.ts";
import { holdLeadership } from "./leadership.ts";
import { leadDispatcher } from "../services/dispatch/dispatch-leader.ts";
import { sweepLeases } from "../services/jobs/sweep-leases.ts";
import { purgeIdempotencyKeys } from "../services/idempotency/run-idempotent.ts";
import { deliverOutbox } from "../services/mail/outbox.ts";
import { markOfflineNodes, purgeNonces } from "../services/nodes/mark-offline-nodes.ts";
import { epochOf } from "../services/verification/por-config.ts";
import { admitNewNodes, advanceChallenges, closeEpoch, plantChecks, scheduleStandbyChecks } from "../services/verification/por-loops.ts";
import { sweepCheckLeases } from "../services/verification/check-tasks.ts";
import { sampleTraffic } from "../services/verification/challenge-corpus.ts";
import { scheduleTrafficChallenges } from "../services/verification/challenge-schedule.ts";
import { releaseDueUnbonds } from "../services/verification/stake.ts";
import { advanceFraudCases } from "../services/verification/fraud.ts";
import { releaseHeldEarnings } from "../services/verification/held-earnings.ts";
import { runLastResort } from "../services/verification/last-resort/last-resort.ts";
import { billReservations } from "../services/reservations/bill-reservations.ts";
import { getReservationConfig } from "../services/reservations/reservation-config.ts";
import { runBillingWatch } from "../services/billing/billing-watch.ts";
import { purgePayoutChallenges } from "../services/payouts/payout-address.ts";
import { getPayoutConfig } from "../services/payouts/payout-config.ts";
import { createPayoutLoop } from "../services/payouts/payout-loop.ts";
import { distributeClosedEpochs } from "../services/rewards/distribute.ts";
import { deliverDueWebhooks, purgeOldWebhookEvents } from "../services/webhooks/deliver-webhooks.ts";

/** At each epoch boundary: close the last epoch's books, grant its rewards, then draw its standby checks. */
function epochTicker(): () => Promise<void> {
  let current = epochOf(Date.now());
  return async () => {
    const now = epochOf(Date.now());
    if (now === current) return;
    await closeEpoch(now - 1);
    await distributeClosedEpochs();
    await scheduleStandbyChecks();
    current = now;
  };
}

// Any constant works; it only has to differ from the migration runner's and the dispatcher's.
const LEADER_LOCK_KEY = 7_264_002;

interface Loop {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

/**
 * The background loops: the indexer's dispatcher, lease sweeper, node liveness, nonce
 * purge, Proof of Render, reservation billing, the mail outbox and on-chain payouts. Every loop is
 * idempotent, and one coordinator at a time leads (a session advisory lock held on its own
 * connection); the others wait to take over if the leader's connection dies. The dispatcher
 * runs in a web process by default (DISPATCH_IN, services/dispatch/dispatch-leader.ts).
 */
export async function runCoordinator(opts: { signal: AbortSignal }): Promise<void> {
  const env = getEnv();
  const cfg = env;
  const payouts = createPayoutLoop();
  const loops: Loop[] = [
    { name: "sweep-leases", everyMs: cfg.SWEEP_INTERVAL_MS, run: sweepLeases },
    { name: "mark-offline", everyMs: cfg.MAINTENANCE_INTERVAL_MS, run: () => markOfflineNodes({ silenceMs: cfg.NODE_OFFLINE_AFTER_MS }) },
    {
      name: "purge-nonces",
      everyMs: cfg.MAINTENANCE_INTERVAL_MS,
      run: () => purgeNonces({ olderThanMs: env.NODE_SIGNATURE_MAX_SKEW_MS * 2 }),
    },
    {
      name: "por-advance",
      everyMs: cfg.POR_ADVANCE_INTERVAL_MS,
      run: async () => {
        await sweepCheckLeases();
        await admitNewNodes();
        await advanceChallenges();
      },
    },
    {
      name: "por-canaries",
      everyMs: cfg.POR_CANARY_TICK_MS,
      run: async () => {
        await plantChecks({ sinceMs: cfg.POR_CANARY_TICK_MS });
      },
    },
    { name: "por-schedule", everyMs: cfg.POR_SCHEDULE_TICK_MS, run: scheduleTrafficChallenges },
    { name: "por-traffic", everyMs: cfg.POR_TRAFFIC_SAMPLE_MS, run: sampleTraffic },
    { name: "por-epoch", everyMs: 1_000, run: epochTicker() },
    // Epoch rewards: any closed epoch not granted yet (a crash between closing and granting).
    { name: "epoch-rewards", everyMs: cfg.MAINTENANCE_INTERVAL_MS, run: () => distributeClosedEpochs() },
    { name: "purge-idempotency-keys", everyMs: cfg.MAINTENANCE_INTERVAL_MS, run: purgeIdempotencyKeys },
    { name: "unbond-release", everyMs: cfg.MAINTENANCE_INTERVAL_MS, run: () => releaseDueUnbonds() },
    // Payouts past their verification window go to the providers; fraud cases audit back.
    { name: "por-held-earnings", everyMs: cfg.POR_ECONOMICS_INTERVAL_MS, run: releaseHeldEarnings },
    { name: "por-fraud-cases", everyMs: cfg.POR_ECONOMICS_INTERVAL_MS, run: advanceFraudCases },
    // Its own loop: a platform re-execution takes seconds and must not hold up the others.
    { name: "por-last-resort", everyMs: cfg.POR_ECONOMICS_INTERVAL_MS, run: () => runLastResort() },
    { name: "mail", everyMs: 1_000, run: deliverOutbox },
    { name: "webhooks", everyMs: cfg.WEBHOOK_DELIVERY_INTERVAL_MS, run: deliverDueWebhooks },
    { name: "purge-webhook-events", everyMs: cfg.MAINTENANCE_INTERVAL_MS, run: purgeOldWebhookEvents },
    { name: "billing-watch", everyMs: cfg.BILLING_WATCH_INTERVAL_MS, run: runBillingWatch },
    // ERC-20 transfers of withdrawals (only when a chain and the payout key are configured).
    { name: "payouts", everyMs: getPayoutConfig().intervalMs, run: () => payouts.tick() },
    { name: "purge-payout-challenges", everyMs: cfg.MAINTENANCE_INTERVAL_MS, run: purgePayoutChallenges },
    {
      name: "reservation-billing",
      everyMs: getReservationConfig().billingTickMs,
      // A period is billed once any outage in it is surely recorded (mark-offline's lag).
      run: () => billReservations({ outageDetectionMs: cfg.NODE_OFFLINE_AFTER_MS + cfg.MAINTENANCE_INTERVAL_MS + 1_000 }),
    },
  ];

  await holdLeadership({
    lockKey: LEADER_LOCK_KEY,
    name: "coordinator",
    signal: opts.signal,
    lead: async (signal) => {
      // No heartbeat could be recorded while there was no leader or no database: every
      // lease gets one more period before this leader's sweeper may expire it.
      const grace = await extendLeasesAfterOutage(sql(), { leaseMs: env.LEASE_DURATION_MS, offerMs: env.DISPATCH_OFFER_MS });
      logger.info({ extendedLeases: grace.running, extendedOffers: grace.assigned }, "coordinator: leading");
      // Every loop sleeps on this one signal at once (one listener each): not a leak.
      setMaxListeners(loops.length + 8, signal);
      // The dispatcher runs here only when the web processes do not run it (DISPATCH_IN).
      const dispatch = env.DISPATCH_IN === "coordinator" ? [leadDispatcher(signal, "coordinator")] : [];
      await Promise.all([...loops.map((l) => runLoop(l, signal)), ...dispatch]);
    },
  });
}

async function runLoop(loop: Loop, signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      await loop.run();
      failures = 0;
      await sleep(loop.everyMs, signal);
    } catch (err) {
      failures++;
      // Back off on repeated failures (database restarting), capped at 30 s.
      const delay = Math.min(loop.everyMs * 2 ** failures, 30_000);
      logger.error({ err, loop: loop.name, failures, delay }, "coordinator loop failed");
      await sleep(delay, signal);
    }
  }
}
