import { randomUUID } from "node:crypto";
import { loadCustomerJobChecks } from "@proofgrid/db/jobs/job-checks";
import { findRerunOf, insertRerunJob, loadRerunSource } from "@proofgrid/db/jobs/rerun-rows";
import { LedgerError, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { formatTokens } from "../billing/get-balance.ts";
import { priceForCost } from "../billing/pricing.ts";
import { logger } from "../../logger.ts";
import { getJobOrThrow } from "./get-job.ts";
import type { JobView } from "./job-view.ts";
import { isUniqueViolation } from "@proofgrid/db/db-errors";

/**
 * The re-run a customer is offered when a job's result was proven wrong (and refunded): the
 * same input as a new job, placed on any worker but the one proven wrong. It is paid like
 * any job — the refund already gave the customer its money back, and nothing else may pay
 * it: a free re-run funded by the emission pool let a colluding customer and cheating
 * provider draw the price a second time from the platform (issue 12, finding 6). Once per
 * job (`rerun_of_id` is unique); asking twice returns the first re-run.
 */
export async function rerunJob(opts: { orgId: string; jobId: string }): Promise<JobView> {
  if (!/^[0-9a-f-]{36}$/i.test(opts.jobId)) throw new AppError("NOT_FOUND", "job not found");
  const job = await loadRerunSource(sql(), opts);
  if (!job) throw new AppError("NOT_FOUND", "job not found");
  if (job.verification !== "refunded") throw new AppError("CONFLICT", "only a job whose result was proven wrong and refunded has a re-run");
  const existing = await findRerunOf(sql(), { jobId: job.id });
  if (existing) return getJobOrThrow({ orgId: opts.orgId, jobId: existing });
  const newId = randomUUID();
  const cap = job.max_price_per_cu === null ? BigInt(getEnv().PRICE_PER_CU_BASE_UNITS) : BigInt(job.max_price_per_cu);
  const price = priceForCost(job.cost_milli_cu, cap);
  try {
    await sqlTransaction(async (tx) => {
      await insertRerunJob(tx, { id: newId, orgId: opts.orgId, source: job, price });
      // A job that costs nothing (0 CU) needs no hold: a transfer of 0 is refused.
      if (price === 0n) return;
      await postTransfer(tx, {
        idempotencyKey: `hold:${newId}`,
        kind: "hold",
        jobId: newId,
        legs: [
          { code: orgAccountCode(opts.orgId, "available"), amount: -price },
          { code: orgAccountCode(opts.orgId, "held"), amount: price },
        ],
      });
    });
  } catch (err) {
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      throw new AppError("INSUFFICIENT_CREDITS", `insufficient credits: the re-run costs ${formatTokens(price)} tokens`, {
        price: price.toString(),
      });
    }
    if (!isUniqueViolation(err)) throw err;
    // A concurrent request created the re-run first.
    const won = await findRerunOf(sql(), { jobId: job.id });
    if (won) return getJobOrThrow({ orgId: opts.orgId, jobId: won });
    throw err;
  }
  logger.info({ jobId: newId, rerunOf: job.id }, "re-run submitted");
  return getJobOrThrow({ orgId: opts.orgId, jobId: newId });
}

/** What the platform checked about one of the customer's jobs (planted checks are the
 * platform's tests of its checkers and are not the customer's business). */
export async function jobVerification(opts: { orgId: string; jobId: string }) {
  const job = await getJobOrThrow({ orgId: opts.orgId, jobId: opts.jobId });
  const checks = await loadCustomerJobChecks(sql(), { jobId: opts.jobId });
  return {
    jobId: job.id,
    verification: job.verification,
    notice: job.notice,
    receipt: job.receipt,
    checks: checks.map((c) => ({
      id: c.id,
      kind: c.kind,
      status: c.status,
      verdict: c.verdict,
      resolution: c.resolution,
      createdAt: c.created_at.toISOString(),
      finishedAt: c.finished_at?.toISOString() ?? null,
    })),
  };
}
