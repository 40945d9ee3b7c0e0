import { randomUUID } from "node:crypto";
import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { priceForCost } from "../billing/pricing.ts";
import { getJobOrThrow } from "./get-job.ts";
import type { JobView } from "./job-view.ts";

/**
 * The free re-run a customer is offered when a job's result was proven wrong (and
 * refunded): the same input, a new job, its hold granted from the emission pool so the
 * customer pays nothing again. Once per job (`rerun_of_id` is unique); asking twice
 * returns the first re-run.
 *
 * The re-run keeps the original's price cap, and its hold is granted at that cap (or the
 * list price), as a submit would hold it: whichever eligible worker runs it is paid in
 * full, also when the original ran at no per-job charge on a reserved worker (its price,
 * and so its refund, was 0). Whatever part of the grant the re-run does not spend (the
 * worker asked less than the cap, it ran on a reserved worker, it was canceled or failed)
 * goes back to the emission pool, not to the customer (`holdReturnCode`): the customer
 * ends exactly where the refund left them. Before, the grant was the original's charge,
 * the re-run ran at the list price, and the difference landed in the customer's balance.
 */
export async function rerunJob(opts: { orgId: string; jobId: string }): Promise<JobView> {
  if (!/^[0-9a-f-]{36}$/i.test(opts.jobId)) throw new AppError("NOT_FOUND", "job not found");
  const rows = await sql().$queryRaw<
    { id: string; verification: string; model_id: string; cost_milli_cu: number; max_price_per_cu: bigint | null; input_hash: string; input_bytes: number; client_region: string | null }[]
  >`
    SELECT id, verification::text AS verification, model_id, cost_milli_cu, max_price_per_cu, input_hash, input_bytes, client_region
    FROM jobs WHERE id = ${opts.jobId}::uuid AND org_id = ${opts.orgId}::uuid AND purpose <> 'challenge'`;
  const job = rows[0];
  if (!job) throw new AppError("NOT_FOUND", "job not found");
  if (job.verification !== "refunded") throw new AppError("CONFLICT", "only a job whose result was proven wrong and refunded has a free re-run");
  const existing = await sql().$queryRaw<{ id: string }[]>`SELECT id FROM jobs WHERE rerun_of_id = ${job.id}::uuid`;
  if (existing[0]) return getJobOrThrow({ orgId: opts.orgId, jobId: existing[0].id });
  const newId = randomUUID();
  const cap = job.max_price_per_cu === null ? null : BigInt(job.max_price_per_cu);
  const price = priceForCost(job.cost_milli_cu, cap ?? BigInt(getEnv().PRICE_PER_CU));
  try {
    await sqlTransaction(async (tx) => {
      await tx.$executeRaw`
        INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, purpose, rerun_of_id, max_price_per_cu)
        VALUES (${newId}::uuid, ${opts.orgId}::uuid, ${job.model_id}, ${job.cost_milli_cu}, ${price}, ${job.input_hash}, ${job.input_bytes},
                ${job.client_region}, 'rerun', ${job.id}::uuid, ${cap})`;
      await tx.$executeRaw`INSERT INTO job_payloads (job_id, input) SELECT ${newId}::uuid, input FROM job_payloads WHERE job_id = ${job.id}::uuid`;
      // A job that costs nothing (0 CU) needs no grant: a transfer of 0 is refused.
      if (price === 0n) return;
      await postTransfer(tx, {
        idempotencyKey: `rerun-grant:${job.id}`,
        kind: "rerun_grant",
        jobId: newId,
        legs: [
          { code: SYSTEM_ACCOUNTS.emissionPool.code, amount: -price },
          { code: orgAccountCode(opts.orgId, "available"), amount: price },
        ],
      });
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
    const code = typeof err === "object" && err !== null && "code" in err ? (err as { code: unknown }).code : undefined;
    if (code !== "23505") throw err;
    // A concurrent request created the re-run first.
    const won = await sql().$queryRaw<{ id: string }[]>`SELECT id FROM jobs WHERE rerun_of_id = ${job.id}::uuid`;
    if (won[0]) return getJobOrThrow({ orgId: opts.orgId, jobId: won[0].id });
    throw err;
  }
  logger.info({ jobId: newId, rerunOf: job.id }, "free re-run submitted");
  return getJobOrThrow({ orgId: opts.orgId, jobId: newId });
}

/** What the platform checked about one of the customer's jobs (planted checks are the
 * platform's tests of its checkers and are not the customer's business). */
export async function jobVerification(opts: { orgId: string; jobId: string }) {
  const job = await getJobOrThrow({ orgId: opts.orgId, jobId: opts.jobId });
  const checks = await sql().$queryRaw<{ id: string; kind: string; status: string; verdict: string | null; created_at: Date; finished_at: Date | null; resolution: string | null }[]>`
    SELECT id, kind::text AS kind, status::text AS status, verdict::text AS verdict, created_at, finished_at, evidence->>'resolution' AS resolution
    FROM checks WHERE job_id = ${opts.jobId}::uuid AND kind IN ('reexecution', 'dispute') ORDER BY created_at`;
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
