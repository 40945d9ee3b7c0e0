import type { Db } from "../db-types.ts";
import type { CheckVerdict } from "../generated/prisma/enums.ts";

// How a leased check ends: a checker's report (or the platform's own re-execution) finishes
// it with a verdict, closes it into a dispute, or hands it back to the queue.

/** Keeps the checker's signature over its report as the check's evidence. */
export async function setCheckerSignature(db: Db, opts: { checkId: string; signature: string }): Promise<void> {
  await db.$executeRaw`UPDATE checks SET checker_signature = ${opts.signature} WHERE id = ${opts.checkId}::uuid`;
}

/** A refused report: the check goes back to the queue for another checker. */
export async function requeueCheck(db: Db, opts: { checkId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE checks SET status = 'queued', checker_node_id = NULL, lease_expires_at = NULL WHERE id = ${opts.checkId}::uuid`;
}

export interface FinishCheckOptions {
  checkId: string;
  verdict: CheckVerdict;
  /** The check's evidence, stored as JSON. */
  evidence: unknown;
  /** CU/h the subject delivered (capability checks), else null. */
  measuredCuPerHour: number | null;
}

/** The check is done, with its verdict and evidence. */
export async function finishCheck(db: Db, opts: FinishCheckOptions): Promise<void> {
  await db.$executeRaw`
    UPDATE checks SET status = 'done', verdict = ${opts.verdict}::"CheckVerdict", finished_at = now(), lease_expires_at = NULL,
      evidence = ${JSON.stringify(opts.evidence)}::jsonb, measured_cu_per_hour = ${opts.measuredCuPerHour}
    WHERE id = ${opts.checkId}::uuid`;
}

/** A check whose executors disagreed is done without a verdict: the dispute it opens decides (dispute-checks.ts). */
export async function closeCheckForDispute(db: Db, opts: { checkId: string; evidence: unknown }): Promise<void> {
  await db.$executeRaw`
    UPDATE checks SET status = 'done', finished_at = now(), lease_expires_at = NULL, evidence = ${JSON.stringify(opts.evidence)}::jsonb
    WHERE id = ${opts.checkId}::uuid`;
}
