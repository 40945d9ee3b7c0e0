import type { Db } from "../db-types.ts";
import type { HeldEarningRow } from "../stakes/held-earnings.ts";

export type HeldPayoutRow = Pick<HeldEarningRow, "job_id" | "amount">;

/** Every payout the node still holds, locked (FOR UPDATE): the release loop skips them while a clawback takes them. */
export async function lockHeldPayouts(db: Db, opts: { nodeId: string }): Promise<HeldPayoutRow[]> {
  return db.$queryRaw<HeldPayoutRow[]>`
    SELECT job_id, amount FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held' FOR UPDATE`;
}

/** The payouts were clawed back into the fraud case's pot. */
export async function markHeldPayoutsClawed(db: Db, opts: { jobIds: readonly string[]; caseId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE held_earnings SET state = 'clawed', resolved_at = now(), fraud_case_id = ${opts.caseId}::uuid
    WHERE job_id = ANY(${[...opts.jobIds]}::uuid[])`;
}
