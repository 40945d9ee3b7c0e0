import type { Db } from "@proofgrid/db/db-types";
import { markJobCanceled } from "@proofgrid/db/jobs/cancel-job-row";
import { orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { getJobOrThrow } from "./get-job.ts";
import type { JobView } from "./job-view.ts";

/**
 * Cancels a job that has not finished and releases its hold in the same transaction.
 * A running worker learns at its next heartbeat that the lease is gone; its result is
 * then refused, so a canceled job is never charged.
 */
export async function cancelJob(opts: { orgId: string; jobId: string }): Promise<JobView> {
  await getJobOrThrow({ ...opts, withOutput: false });
  const canceled = await sqlTransaction(async (tx) => {
    const row = await markJobCanceled(tx, opts);
    if (!row) return false;
    await releaseHold(tx, { orgId: opts.orgId, jobId: row.id, price: BigInt(row.price), reason: "cancel" });
    return true;
  });
  if (!canceled) throw new AppError("CONFLICT", "job already finished; it cannot be canceled");
  logger.info({ jobId: opts.jobId, orgId: opts.orgId }, "job canceled");
  return getJobOrThrow({ ...opts, withOutput: false });
}

/** Returns a job's held credits to the customer (idempotent per job; a job of price 0 held nothing). */
export async function releaseHold(tx: Db, opts: { orgId: string; jobId: string; price: bigint; reason: string }) {
  if (opts.price === 0n) return null;
  return postTransfer(tx, {
    idempotencyKey: `release:${opts.jobId}`,
    kind: "release",
    jobId: opts.jobId,
    memo: opts.reason,
    legs: [
      { code: orgAccountCode(opts.orgId, "held"), amount: -opts.price },
      { code: orgAccountCode(opts.orgId, "available"), amount: opts.price },
    ],
  });
}
