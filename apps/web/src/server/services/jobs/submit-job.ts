import { LedgerError, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { hashJson } from "@proofgrid/por";
import { z } from "zod";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { priceForCost } from "../billing/pricing.ts";
import { checkJobInput } from "../models/check-job-input.ts";
import { resolveModel } from "../models/resolve-model.ts";
import { type JobView, jobViewSelect, toJobView } from "./job-view.ts";

export const ZSubmitJobRequest = z.object({
  /** Model slug (e.g. `ocr-ppocr-v4`) or sha256 id. */
  model: z.string().min(1).max(100),
  /** Model-specific input, validated against the model's signature. */
  input: z.unknown(),
  /** Retrying with the same key returns the first job instead of creating another. */
  idempotencyKey: z.string().min(1).max(200).optional(),
  /** Client region for edge placement (defaults to the organisation's). */
  region: z.string().min(2).max(40).optional(),
});
export type TSubmitJobRequest = z.infer<typeof ZSubmitJobRequest>;

/**
 * Validates the input against the model, prices it, and inserts the job with its payload
 * and the credit hold in one transaction: either the job exists and its price is held,
 * or nothing changed. The insert's trigger NOTIFYs waiting workers.
 */
export async function submitJob(opts: { orgId: string; request: TSubmitJobRequest }, accountsEnsured = false): Promise<JobView> {
  const { orgId, request } = opts;
  const model = await resolveModel(request.model);
  const { costMilliCu, inputBytes } = await checkJobInput(model.slug, request.input);
  const price = priceForCost(costMilliCu, getEnv().PRICE_PER_CU);
  const inputHash = hashJson(request.input);

  if (request.idempotencyKey) {
    const existing = await db().job.findUnique({
      where: { orgId_idempotencyKey: { orgId, idempotencyKey: request.idempotencyKey } },
      select: jobViewSelect,
    });
    if (existing) {
      if (existing.inputHash !== inputHash || existing.model.id !== model.id) {
        throw new AppError("CONFLICT", "idempotency key already used for a different job");
      }
      return toJobView(existing);
    }
  }

  try {
    // Two statements and the hold, on pg directly: this is every job's first hop.
    const job = await sqlTransaction(async (tx) => {
      if (accountsEnsured) await ensureOrgAccounts(tx, orgId);
      const rows = await tx.$queryRaw<{ id: string; created_at: Date }[]>`
        WITH j AS (
          INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, idempotency_key)
          VALUES (gen_random_uuid(), ${orgId}::uuid, ${model.id}, ${costMilliCu}, ${price}, ${inputHash}, ${inputBytes},
                  ${request.region ?? null}, ${request.idempotencyKey ?? null})
          RETURNING id, created_at
        ), p AS (
          INSERT INTO job_payloads (job_id, input) SELECT id, ${JSON.stringify(request.input)}::jsonb FROM j
        )
        SELECT id, created_at FROM j`;
      const row = rows[0];
      if (!row) throw new Error("job insert returned no row");
      await postTransfer(tx, {
        idempotencyKey: `hold:${row.id}`,
        kind: "hold",
        jobId: row.id,
        legs: [
          { code: orgAccountCode(orgId, "available"), amount: -price },
          { code: orgAccountCode(orgId, "held"), amount: price },
        ],
      });
      return row;
    });
    logger.info({ jobId: job.id, orgId, model: model.slug, price: price.toString() }, "job submitted");
    return {
      id: job.id,
      model: model.slug,
      modelId: model.id,
      state: "queued",
      attempt: 0,
      costMilliCu,
      price: price.toString(),
      error: null,
      clientRegion: request.region ?? null,
      inputHash,
      outputHash: null,
      workerRegion: null,
      workerId: null,
      receipt: null,
      verification: "unverified",
      notice: null,
      rerunOf: null,
      createdAt: job.created_at.toISOString(),
      startedAt: null,
      finishedAt: null,
    };
  } catch (err) {
    if (err instanceof LedgerError && err.code === "unknown_account" && !accountsEnsured) {
      // An organisation that never held credits has no accounts yet: create them once.
      return submitJob(opts, true);
    }
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      throw new AppError("INSUFFICIENT_CREDITS", `insufficient credits: this job costs ${price} base units`, {
        price: price.toString(),
      });
    }
    if (isUniqueViolation(err) && request.idempotencyKey) {
      // A concurrent retry with the same key won the race: return its job.
      return submitJob(opts, accountsEnsured);
    }
    throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  const code = typeof err === "object" && err !== null && "code" in err ? (err as { code: unknown }).code : undefined;
  return code === "23505" || code === "P2002";
}
