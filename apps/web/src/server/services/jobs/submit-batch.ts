import { insertJobsBatch } from "@proofgrid/db/jobs";
import { countOrgQueuedJobs } from "@proofgrid/db/jobs/queue-load";
import { LedgerError, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { hashJson } from "@proofgrid/por";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { findUnsafeJsonText, UNSAFE_TEXT_MESSAGE } from "../../http/safe-text.ts";
import { logger } from "../../logger.ts";
import { countJobSubmitted } from "../../metrics.ts";
import { jobEvents } from "../../events/job-events.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { priceForCost } from "../billing/pricing.ts";
import { alertSpendCapReached, assertNoDebt, enforceSpendCaps, readSpendControls } from "../billing/spend-controls.ts";
import { formatTokens } from "../billing/tokens.ts";
import { idempotencyKeyOf, type IdempotentResponse, runIdempotent, ZIdempotencyKey } from "../idempotency/run-idempotent.ts";
import { isCustomModelSlug } from "@proofgrid/por";
import { adaptJobInput, checkModelJobInput } from "../models/check-job-input.ts";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.ts";
import { jobRoyalty, readJobListing } from "../models/model-royalty.ts";
import { assertAdmissible } from "./backpressure.ts";
import { resolveInputUrls } from "./input-urls.ts";
import type { SubmittedJob } from "./submit-job.ts";
import { ZSubmitJobRequest } from "./submit-job.ts";

// Batch submission (issue 15): up to JOB_BATCH_MAX_ITEMS jobs in one request, inserted in one
// statement with ONE hold transfer for the batch's total, in one transaction; either every
// job exists with its price held, or nothing changed.
//
// Why one transfer is exact per job: nothing reads a job's hold back from the ledger.
// Settlement (nodes/complete-job.ts), release on cancel, failure and lease expiry
// (jobs/cancel-job.ts releaseHold) all move `jobs.price` out of the organisation's `held`
// account, the price the job was inserted with. The batch's transfer moves the sum of those
// prices into `held`, so each job later settles or is released on its own, for exactly its
// own price, and `held` returns to where it was once every job has ended. The transfer has
// no job id (it belongs to several); its memo names the jobs, for whoever audits it.

/** The most JOB_BATCH_MAX_ITEMS may be (env.ts): a bound for the schema, before the configured limit. */
const BATCH_ITEMS_CEILING = 1_000;

/** One job of a batch: a submit's fields; the idempotency key is the batch's. */
export const ZSubmitBatchItem = ZSubmitJobRequest.omit({ idempotencyKey: true });

export const ZSubmitBatchRequest = z.object({
  /** The jobs, answered in this order. At most JOB_BATCH_MAX_ITEMS (100 by default). */
  jobs: z.array(ZSubmitBatchItem).min(1, "a batch needs at least one job").max(BATCH_ITEMS_CEILING),
  /** Retrying with the same key and body returns the first answer (or send an `Idempotency-Key` header). */
  idempotencyKey: ZIdempotencyKey.optional(),
});
export type TSubmitBatchRequest = z.infer<typeof ZSubmitBatchRequest>;

/** The batch answer: every job, in the request's order. */
export interface SubmittedBatch {
  jobs: SubmittedJob[];
}

/**
 * A batch under the organisation's idempotency keys: the same key and body replay the first
 * answer (the same jobs, none inserted again), another body is a 422.
 */
export async function submitBatchIdempotently(opts: {
  orgId: string;
  request: TSubmitBatchRequest;
  headerKey: string | null;
  /** The API key that sent it: its spend cap counts every job. */
  apiKeyId?: string | null;
}): Promise<IdempotentResponse<SubmittedBatch>> {
  const request = { ...opts.request, idempotencyKey: idempotencyKeyOf(opts.headerKey, opts.request.idempotencyKey) };
  return runIdempotent({ orgId: opts.orgId, operation: "jobs.batch", key: request.idempotencyKey, request }, async () => ({
    status: 201,
    body: await submitBatch({ orgId: opts.orgId, request, apiKeyId: opts.apiKeyId ?? null }),
  }));
}

interface SubmitBatchOptions {
  orgId: string;
  request: TSubmitBatchRequest;
  /** The API key that sent it: its spend cap counts every job. */
  apiKeyId?: string | null;
}

/** An item checked and priced, ready to insert. */
interface PreparedItem {
  model: ResolvedModel;
  input: unknown;
  costMilliCu: number;
  inputBytes: number;
  price: bigint;
  inputHash: string;
  clientRegion: string | null;
  maxPricePerCu: bigint | null;
  /** An uploaded model's royalty, part of `price`, and its payee. */
  royalty: { amount: bigint; orgId: string } | null;
  /** The uploaded model's listing the job is submitted under (its processing), else null. */
  processingOrgId: string | null;
  adjustments: string[];
}

/**
 * Checks every item as submitJob checks one (unsafe text, the model, inputs given by URL
 * fetched, the input adapted to the model and checked, priced at the item's cap or the list
 * price) and refuses the whole batch at the first bad item, naming it (`jobs[7]: …`), before
 * anything is written. Then, in one transaction: the spend caps for the total, every job,
 * and one hold of the total.
 */
export async function submitBatch(opts: SubmitBatchOptions): Promise<SubmittedBatch> {
  const { orgId, request } = opts;
  const apiKeyId = opts.apiKeyId ?? null;
  const env = getEnv();
  const n = request.jobs.length;
  if (n > env.JOB_BATCH_MAX_ITEMS) {
    throw new AppError("PAYLOAD_TOO_LARGE", `a batch holds at most ${env.JOB_BATCH_MAX_ITEMS} jobs, this one ${n}: split it`, {
      maxItems: env.JOB_BATCH_MAX_ITEMS,
      items: n,
    });
  }
  // One after another: the items share the process's two cores (image scaling) and its
  // outbound fetches with every other request; the batch saves the round trips, not this work.
  const items: PreparedItem[] = [];
  for (const [index, item] of request.jobs.entries()) items.push(await prepareItem(orgId, item, index));

  await assertBatchAdmissible(orgId, items);
  const controls = await readSpendControls({ orgId, apiKeyId });
  await assertNoDebt(orgId, controls.owed);
  const total = items.reduce((sum, it) => sum + it.price, 0n);

  const rows = await insertBatch({ orgId, apiKeyId, items, total, controls });
  logger.info({ orgId, jobs: n, firstJobId: rows[0]?.id, total: total.toString() }, "job batch submitted");
  for (let i = 0; i < n; i++) countJobSubmitted();
  // Committed: a dispatcher in this process places the batch now (one round for all of it).
  for (const row of rows) jobEvents.deliverLocal({ id: row.id, state: "queued", node_id: null });
  return {
    jobs: items.map((it, i) => {
      const row = rows[i];
      if (!row) throw new Error(`batch insert lost job ${i}`);
      return queuedJobView(it, row);
    }),
  };
}

/** One item as submitJob takes it; its refusal names the item. */
async function prepareItem(orgId: string, item: TSubmitBatchRequest["jobs"][number], index: number): Promise<PreparedItem> {
  try {
    const unsafe = findUnsafeJsonText(item.input, "input");
    if (unsafe) throw new AppError("BAD_REQUEST", `${unsafe} ${UNSAFE_TEXT_MESSAGE}`);
    const model = await resolveModel(item.model, { orgId });
    const fetched = isCustomModelSlug(model.slug)
      ? { input: item.input, fetched: [] }
      : await resolveInputUrls(item.input, { allowLocal: getEnv().INPUT_URL_ALLOW_LOCAL === "1" });
    const listing = await readJobListing({ orgId, model });
    const adapted = await adaptJobInput(model, fetched.input, listing);
    const { costMilliCu, inputBytes } = await checkModelJobInput(model, adapted.input);
    // Held at the item's cap (or the list price), as a single submit is; settlement charges
    // the worker's ask, at most this, and releases the rest.
    const cap = item.maxPricePerCu ?? BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
    const royalty = await jobRoyalty({ orgId, model, maxRoyalty: item.maxRoyalty, listing });
    return {
      model,
      input: adapted.input,
      costMilliCu,
      inputBytes,
      price: priceForCost(costMilliCu, cap) + (royalty?.amount ?? 0n),
      royalty,
      processingOrgId: listing?.orgId ?? null,
      inputHash: hashJson(adapted.input),
      clientRegion: item.region ?? null,
      maxPricePerCu: item.maxPricePerCu ?? null,
      adjustments: [...fetched.fetched, ...adapted.adjustments],
    };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // An unknown model is the single submit's 404; here the route exists and the request
    // is what is wrong, so a 400. Other refusals keep their status (413 for an input too large).
    const code = err.code === "NOT_FOUND" ? "BAD_REQUEST" : err.code;
    throw new AppError(code, `jobs[${index}]: ${err.message}`, {
      item: index,
      ...(err.details === undefined ? {} : { details: err.details }),
    });
  }
}

/**
 * Backpressure for the whole batch: a 429 when its jobs would take the organisation past
 * ORG_MAX_QUEUED_JOBS, and each model's own check (assertAdmissible) once.
 */
async function assertBatchAdmissible(orgId: string, items: PreparedItem[]): Promise<void> {
  const max = getEnv().ORG_MAX_QUEUED_JOBS;
  const own = await countOrgQueuedJobs(sql(), { orgId, limit: max });
  if (own + items.length > max) {
    throw new AppError(
      "RATE_LIMITED",
      `your organisation has ${own} jobs queued and may have ${max}: this batch of ${items.length} would pass it; wait for some to finish or send fewer`,
      { reason: "org_queue_full", retryAfterSeconds: 5 },
    );
  }
  const models = new Set(items.map((it) => it.model.id));
  for (const modelId of models) await assertAdmissible({ orgId, modelId });
}

/** The jobs and the one hold, in one transaction; tried again once with the accounts created when the organisation has none yet. */
async function insertBatch(opts: {
  orgId: string;
  apiKeyId: string | null;
  items: PreparedItem[];
  total: bigint;
  controls: { orgCap: bigint | null; keyCap: bigint | null };
  ensureAccounts?: boolean;
}): Promise<{ id: string; created_at: Date }[]> {
  const { orgId, apiKeyId, items, total } = opts;
  try {
    return await sqlTransaction(async (tx) => {
      if (opts.ensureAccounts) await ensureOrgAccounts(tx, orgId);
      await enforceSpendCaps(tx, { orgId, apiKeyId, price: total, orgCap: opts.controls.orgCap, keyCap: opts.controls.keyCap });
      const rows = await insertJobsBatch(tx, {
        orgId,
        apiKeyId,
        items: items.map((it) => ({
          modelId: it.model.id,
          costMilliCu: it.costMilliCu,
          price: it.price,
          inputHash: it.inputHash,
          inputBytes: it.inputBytes,
          input: it.input,
          clientRegion: it.clientRegion,
          maxPerCuBaseUnits: it.maxPricePerCu,
          royalty: it.royalty,
          processingOrgId: it.processingOrgId,
        })),
      });
      const first = rows[0];
      // A batch of jobs that cost nothing holds nothing: a transfer of 0 is refused.
      if (first && total > 0n) {
        await postTransfer(tx, {
          // The first job's id is new, so the key is too; it names the batch in the ledger.
          idempotencyKey: `hold-batch:${first.id}`,
          kind: "hold",
          jobId: null,
          memo: `batch hold of ${rows.length} jobs: ${rows.map((r) => r.id).join(" ")}`,
          legs: [
            { code: orgAccountCode(orgId, "available"), amount: -total },
            { code: orgAccountCode(orgId, "held"), amount: total },
          ],
        });
      }
      return rows;
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "SPEND_CAP_REACHED") {
      await alertSpendCapReached(orgId, err);
      throw err;
    }
    if (err instanceof LedgerError && err.code === "unknown_account" && !opts.ensureAccounts) {
      // An organisation that never held credits has no accounts yet: create them once.
      return insertBatch({ ...opts, ensureAccounts: true });
    }
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      throw new AppError(
        "INSUFFICIENT_CREDITS",
        `insufficient credits: this batch of ${items.length} jobs costs ${formatTokens(total)} tokens, more than this organisation has available`,
        { price: total.toString() },
      );
    }
    throw err;
  }
}

/** The answer for a job just inserted, as GET /api/v1/jobs/{id} would show it now. */
function queuedJobView(it: PreparedItem, row: { id: string; created_at: Date }): SubmittedJob {
  const view: SubmittedJob = {
    id: row.id,
    model: it.model.slug,
    modelId: it.model.id,
    state: "queued",
    attempt: 0,
    costMilliCu: it.costMilliCu,
    price: it.price.toString(),
    error: null,
    clientRegion: it.clientRegion,
    inputHash: it.inputHash,
    outputHash: null,
    workerRegion: null,
    workerId: null,
    receipt: null,
    verification: "unverified",
    notice: null,
    refunded: null,
    rerunOf: null,
    maxPricePerCu: it.maxPricePerCu?.toString() ?? null,
    unitPrice: null,
    royalty: (it.royalty?.amount ?? 0n).toString(),
    placement: null,
    reservationId: null,
    createdAt: row.created_at.toISOString(),
    startedAt: null,
    finishedAt: null,
  };
  return it.adjustments.length > 0 ? { ...view, inputAdjustments: it.adjustments } : view;
}
