import type { Db } from "../db-types.ts";
import type { VerificationStatus } from "../generated/prisma/enums.ts";

// The jobs a check verifies, as their customers see them: a challenge check's own jobs, or
// the customer job a re-execution (or dispute, or audit) re-runs.

/** Sets the verification of every job of a challenge check. */
export async function setChallengeJobsVerification(db: Db, opts: { checkId: string; status: VerificationStatus }): Promise<void> {
  await db.$executeRaw`UPDATE jobs SET verification = ${opts.status}::"VerificationStatus" WHERE check_id = ${opts.checkId}::uuid`;
}

/** Sets one job's verification. */
export async function setJobVerification(db: Db, opts: { jobId: string; status: VerificationStatus }): Promise<void> {
  await db.$executeRaw`UPDATE jobs SET verification = ${opts.status}::"VerificationStatus" WHERE id = ${opts.jobId}::uuid`;
}

/** What a challenge check's jobs were priced at, in total (0 without jobs). */
export async function sumChallengeJobPrices(db: Db, opts: { checkId: string }): Promise<bigint> {
  const rows = await db.$queryRaw<{ total: bigint | null }[]>`
    SELECT sum(price)::bigint AS total FROM jobs WHERE check_id = ${opts.checkId}::uuid`;
  return BigInt(rows[0]?.total ?? 0n);
}

/** A job and the customer organisation it charged (`price` is int8). */
export interface JobChargeRow {
  id: string;
  org_id: string;
  price: bigint;
}

/** What one job charged its customer; null when it does not exist. */
export async function loadJobCharge(db: Db, opts: { jobId: string }): Promise<JobChargeRow | null> {
  // The compute only: an uploaded model's royalty is its owner's for the model's use, not the worker's to refund.
  const rows = await db.$queryRaw<JobChargeRow[]>`SELECT id, org_id, price - royalty AS price FROM jobs WHERE id = ${opts.jobId}::uuid`;
  return rows[0] ?? null;
}
