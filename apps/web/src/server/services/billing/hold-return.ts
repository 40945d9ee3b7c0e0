import { orgAccountCode, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";

/**
 * Where the unused part of a job's hold goes when it settles, is canceled or fails: back
 * to the customer's available balance, except for a free re-run, whose hold the emission
 * pool granted and gets back. Returning a re-run's rest to the customer paid them the
 * difference between the grant (at the cap) and the worker's ask: +6 650 base units on one
 * job, for any refunded customer.
 */
export function holdReturnCode(job: { orgId: string; purpose: string }): string {
  return job.purpose === "rerun" ? SYSTEM_ACCOUNTS.emissionPool.code : orgAccountCode(job.orgId, "available");
}
