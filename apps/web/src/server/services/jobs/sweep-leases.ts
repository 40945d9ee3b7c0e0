import { sweepExpiredLeases } from "@proofgrid/db/jobs";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { logger } from "../../logger.ts";
import { enqueueJobWebhook } from "../webhooks/webhook-events.ts";
import { releaseHold } from "./cancel-job.ts";

const BATCH = 100;
const MAX_BATCHES_PER_RUN = 50;

/**
 * Re-queues jobs whose lease expired (a worker died or stalled); a job out of attempts
 * fails and its hold is released in the same transaction. Safe to run from several
 * coordinators at once: rows are claimed with SKIP LOCKED.
 */
export async function sweepLeases(): Promise<{ requeued: number; failed: number }> {
  let requeued = 0;
  let failed = 0;
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const swept = await sqlTransaction(async (tx) => {
      const jobs = await sweepExpiredLeases(tx, { limit: BATCH });
      // Organisation by organisation in the order of their accounts' codes (org:<id>:…), the
      // order every transfer locks accounts in: a group commit of completions holds several
      // organisations' accounts at once.
      const outOfAttempts = jobs.filter((j) => j.state === "failed").sort((a, b) => (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0));
      for (const j of outOfAttempts) {
        await releaseHold(tx, { orgId: j.orgId, jobId: j.id, price: j.price, reason: "lease expired on every attempt" });
        await enqueueJobWebhook(tx, { orgId: j.orgId, jobId: j.id, type: "job.failed" });
      }
      return jobs;
    });
    for (const j of swept) {
      if (j.state === "queued") requeued++;
      else failed++;
      logger.warn({ jobId: j.id, attempt: j.attempt, state: j.state }, "lease expired");
    }
    if (swept.length < BATCH) break;
  }
  return { requeued, failed };
}
