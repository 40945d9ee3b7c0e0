import { randomUUID } from "node:crypto";
import { insertJobWithHold, insertJobWithPayload } from "@proofgrid/db/jobs/insert-job";
import { LedgerError, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { hashJson } from "@proofgrid/por";
import { findRegion } from "@proofgrid/indexer";
import { z } from "zod";
import { inTransaction, sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { countJobSubmitted } from "../../metrics.ts";
import { jobEvents } from "../../events/job-events.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { idempotencyKeyOf, type IdempotentResponse, runIdempotent, ZIdempotencyKey } from "../idempotency/run-idempotent.ts";
import { priceForCost } from "../billing/pricing.ts";
import {
  alertSpendCapReached,
  assertNoDebt,
  enforceSpendCaps,
  readSpendControls,
  type SpendControls,
  spendControls,
} from "../billing/spend-controls.ts";
import { isCustomModelSlug } from "@proofgrid/por";
import type { JobListing } from "@proofgrid/db/models/custom-models";
import { adaptJobInput, checkModelJobInput } from "../models/check-job-input.ts";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.ts";
import { jobRoyalty, readJobListing } from "../models/model-royalty.ts";
import { resolveInputUrls } from "./input-urls.ts";
import { type JobView, jobViewSelect, toJobView } from "./job-view.ts";
import { assertAdmissible, assertNetworkAdmits } from "./backpressure.ts";
import { formatTokens } from "../billing/tokens.ts";
import { findUnsafeJsonText, pgText, UNSAFE_TEXT_MESSAGE } from "../../http/safe-text.ts";
import { isUniqueViolation } from "@proofgrid/db/db-errors";

/** A decimal string or integer of base units, 0 allowed. */
export const ZMaxRoyalty = z
  .union([z.string().regex(/^(0|[1-9][0-9]{0,14})$/, "a whole number of base units, at most 15 digits"), z.number().int().min(0).max(1e15)])
  .transform((v) => BigInt(v));

export const ZSubmitJobRequest = z.object({
  /** Model slug (e.g. `ocr-ppocr-v4`) or sha256 id. */
  model: pgText().min(1).max(100),
  /** Model-specific input, validated against the model's signature. */
  input: z.unknown(),
  /** Retrying with the same key returns the first job instead of creating another (or send
   * an `Idempotency-Key` header). */
  idempotencyKey: ZIdempotencyKey.optional(),
  /** Client region for edge placement (defaults to the organisation's): an id from
   * GET /api/v1/regions, e.g. `ca-montreal`. */
  region: z
    .string()
    .min(2)
    .max(40)
    .refine((r) => findRegion(r) !== undefined, { message: "unknown region: see GET /api/v1/regions for the ids" })
    .optional(),
  /** The most this job may cost per CU, in base units (a decimal string or integer); only
   * workers asking at most this are eligible. Defaults to the list price. */
  maxPricePerCu: z
    .union([z.string().regex(/^[1-9][0-9]{0,14}$/, "a positive integer of at most 15 digits"), z.number().int().positive().max(1e15)])
    .transform((v) => BigInt(v))
    .optional(),
  /** The most an uploaded model's royalty may be for this job, in base units: a model whose
   * owner asks more is refused (422) rather than charged. Default 0: a royalty is paid only
   * when accepted here. */
  maxRoyalty: ZMaxRoyalty.optional(),
});
export type TSubmitJobRequest = z.infer<typeof ZSubmitJobRequest>;

/**
 * A submit under the organisation's idempotency keys (REST and tRPC share the operation):
 * the same key and body replay the first answer, another body is a 422.
 */
export async function submitJobIdempotently(opts: {
  orgId: string;
  request: TSubmitJobRequest;
  headerKey: string | null;
  /** The API key that sent it: its spend cap counts it. */
  apiKeyId?: string | null;
}): Promise<IdempotentResponse<SubmittedJob>> {
  const request = { ...opts.request, idempotencyKey: idempotencyKeyOf(opts.headerKey, opts.request.idempotencyKey) };
  return runIdempotent({ orgId: opts.orgId, operation: "jobs.submit", key: request.idempotencyKey, request }, async () => ({
    status: 201,
    body: await submitJob({ orgId: opts.orgId, request, apiKeyId: opts.apiKeyId ?? null }),
  }));
}

/**
 * Validates the input against the model, prices it, and inserts the job with its payload
 * and the credit hold in one transaction: either the job exists and its price is held,
 * or nothing changed. The insert's trigger NOTIFYs waiting workers.
 */
export async function submitJob(opts: SubmitJobOptions): Promise<SubmittedJob> {
  const unsafe = findUnsafeJsonText(opts.request.input, "input");
  if (unsafe) throw new AppError("BAD_REQUEST", `${unsafe} ${UNSAFE_TEXT_MESSAGE}`);
  // The organisation's own uploaded models and everyone's public ones resolve; another
  // organisation's private model is the same 404 as a missing one.
  const model = await resolveModel(opts.request.model, { orgId: opts.orgId });
  // An input given by URL is fetched (once, here): the job holds the file. An uploaded model
  // takes tensors only, so nothing is fetched for it.
  const fetched = isCustomModelSlug(model.slug)
    ? { input: opts.request.input, fetched: [] }
    : await resolveInputUrls(opts.request.input, { allowLocal: getEnv().INPUT_URL_ALLOW_LOCAL === "1" });
  // A photo too large for the model is scaled, a 44.1 kHz recording resampled: the job holds
  // the input as the model takes it (its hash, its receipt), and the answer says what changed.
  // An uploaded model's listing (whose royalty and processing the job takes) is read once, here.
  const listing = await readJobListing({ orgId: opts.orgId, model });
  const adapted = await adaptJobInput(model, fetched.input, listing);
  const view = await submitJobOnce({ ...opts, request: { ...opts.request, input: adapted.input } }, model, {
    ensureAccounts: false,
    listing,
  });
  const adjustments = [...fetched.fetched, ...adapted.adjustments];
  return adjustments.length > 0 ? { ...view, inputAdjustments: adjustments } : view;
}

/** The submit answer: the job, and what was changed in its input to fit the model, if anything. */
export type SubmittedJob = JobView & { inputAdjustments?: string[] };

interface SubmitJobOptions {
  orgId: string;
  request: TSubmitJobRequest;
  /** The API key that sent it: its spend cap counts it. */
  apiKeyId?: string | null;
}

/** One try; tried again (once) with the organisation's accounts created when it has none yet, or when a concurrent retry with the same key won the insert. */
async function submitJobOnce(
  opts: SubmitJobOptions,
  model: ResolvedModel,
  retry: { ensureAccounts: boolean; listing: JobListing | null },
): Promise<JobView> {
  const { listing } = retry;
  const accountsEnsured = retry.ensureAccounts;
  const { orgId, request } = opts;
  const apiKeyId = opts.apiKeyId ?? null;
  const { costMilliCu, inputBytes } = await checkModelJobInput(model, request.input);
  // The hold is priced at the customer's cap (or the list price); settlement charges the
  // assigned worker's ask, which the indexer keeps at or below it, and releases the rest.
  const cap = request.maxPricePerCu ?? BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  const inputHash = hashJson(request.input);
  // A catalog model has no royalty, and an uploaded one's listing was read: no round trip.
  // Its refusal waits for the idempotency lookup: a retry of a job that exists gets it.
  const royaltyRead = await jobRoyalty({ orgId, model, maxRoyalty: request.maxRoyalty, listing }).then(
    (royalty) => ({ royalty, refused: null }),
    (refused: unknown) => ({ royalty: null, refused }),
  );
  const { royalty } = royaltyRead;
  // An uploaded model's royalty is held with the compute and paid in the settlement's transfer.
  const price = priceForCost(costMilliCu, cap) + (royalty?.amount ?? 0n);
  const queuedLimit = getEnv().ORG_MAX_QUEUED_JOBS;

  const jobFields = {
    orgId,
    modelId: model.id,
    costMilliCu,
    price,
    inputHash,
    inputBytes,
    input: request.input,
    clientRegion: request.region ?? null,
    idempotencyKey: request.idempotencyKey ?? null,
    maxPerCuBaseUnits: request.maxPricePerCu ?? null,
    apiKeyId,
    royalty,
    processingOrgId: listing?.orgId ?? null,
  };
  const holdLegs = [
    { code: orgAccountCode(orgId, "available"), amount: -price },
    { code: orgAccountCode(orgId, "held"), amount: price },
  ];
  try {
    // Every job's first hop, on pg directly. The common submit (no idempotency key, nothing
    // owed, no spend cap, room in the organisation's queue) is one statement: it reads the
    // spend controls and the queue, and writes the job, its payload and its hold only if they
    // let it through: one round trip, atomic on its own (issue 15; it was two, the controls
    // read first). Not inside a caller's transaction (an idempotent request's): there the
    // savepoint of sqlTransaction keeps a failed insert from aborting the request's transaction.
    const guardable = !accountsEnsured && !request.idempotencyKey && !royaltyRead.refused && !inTransaction();
    /** The guarded statement ran (and wrote nothing, when `job` is still null). */
    let guarded = false;
    let job: { id: string; created_at: Date } | null = null;
    let read: SpendControls | null = null;
    // The network-wide backpressure reads the model's load (cached), not the database. A full
    // network takes the way below, which says which limit stopped the job as before: the
    // organisation's own queue first (Retry-After 5 s), then the network's.
    if (
      guardable &&
      (await assertNetworkAdmits(model.id).then(
        () => true,
        () => false,
      ))
    ) {
      guarded = true;
      const r = await insertJobWithHold(sql(), { ...jobFields, id: randomUUID(), hold: holdLegs, admit: { queuedLimit } });
      job = r.job;
      read = r.controls ? spendControls(r.controls) : null;
    }
    if (!job) {
      // Written nothing: the controls decide (a 429, a debt, a cap to check under its lock),
      // or the organisation has no accounts yet. The way every submit took before.
      const controls = read ?? (await readSpendControls({ orgId, apiKeyId, queuedLimit }));
      await assertAdmissible({ orgId, modelId: model.id, queued: controls.queued });
      await assertNoDebt(orgId, controls.owed);
      if (request.idempotencyKey) {
        const existing = await db().job.findUnique({
          where: { orgId_idempotencyKey: { orgId, idempotencyKey: request.idempotencyKey } },
          select: jobViewSelect,
        });
        if (existing) {
          // Keys older than the idempotency layer's 24 hours still name their job.
          if (
            existing.inputHash !== inputHash ||
            existing.model.id !== model.id ||
            (existing.maxPricePerCu ?? null) !== (request.maxPricePerCu ?? null) ||
            existing.royalty > (request.maxRoyalty ?? 0n)
          ) {
            throw new AppError("UNPROCESSABLE", "this idempotency key was already used for a different job: use a new key");
          }
          return toJobView(existing);
        }
      }
      if (royaltyRead.refused) throw royaltyRead.refused;
      // With no spend cap to check under its lock, one statement; otherwise, or for an
      // organisation without accounts yet (the guarded statement let it through and found
      // none), a transaction.
      const noCap = controls.orgCap === null && controls.keyCap === null;
      const oneStatement = !accountsEnsured && noCap && !inTransaction() && !(guarded && controls.owed === 0n);
      const fast = oneStatement ? (await insertJobWithHold(sql(), { ...jobFields, id: randomUUID(), hold: holdLegs })).job : null;
      job =
        fast ??
        (await sqlTransaction(async (tx) => {
          // No row from a one-statement insert: the organisation has no accounts yet (it wrote nothing).
          // (A guarded statement that found no cap and no debt wrote nothing for the same
          // reason. With a cap, a missing account is the unknown_account retry below.)
          if (accountsEnsured || oneStatement || (guarded && noCap)) await ensureOrgAccounts(tx, orgId);
          await enforceSpendCaps(tx, { orgId, apiKeyId, price, orgCap: controls.orgCap, keyCap: controls.keyCap });
          const row = await insertJobWithPayload(tx, jobFields);
          if (!row) throw new Error("job insert returned no row");
          await postTransfer(tx, { idempotencyKey: `hold:${row.id}`, kind: "hold", jobId: row.id, legs: holdLegs });
          return row;
        }));
    }
    logger.info({ jobId: job.id, orgId, model: model.slug, price: price.toString() }, "job submitted");
    countJobSubmitted();
    // Committed: a dispatcher in this process places it now, not when the NOTIFY comes back
    // (inside an idempotent request's transaction, deliverLocal leaves it to that NOTIFY).
    jobEvents.deliverLocal({ id: job.id, state: "queued", node_id: null });
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
      refunded: null,
      rerunOf: null,
      maxPricePerCu: request.maxPricePerCu?.toString() ?? null,
      unitPrice: null,
      royalty: (royalty?.amount ?? 0n).toString(),
      placement: null,
      reservationId: null,
      createdAt: job.created_at.toISOString(),
      startedAt: null,
      finishedAt: null,
    };
  } catch (err) {
    if (err instanceof AppError && err.code === "SPEND_CAP_REACHED") {
      await alertSpendCapReached(orgId, err);
      throw err;
    }
    if (err instanceof LedgerError && err.code === "unknown_account" && !accountsEnsured) {
      // An organisation that never held credits has no accounts yet: create them once.
      return submitJobOnce(opts, model, { ensureAccounts: true, listing });
    }
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      throw new AppError(
        "INSUFFICIENT_CREDITS",
        `insufficient credits: this job costs ${formatTokens(price)} tokens, more than this organisation has available`,
        {
          price: price.toString(),
        },
      );
    }
    if (isUniqueViolation(err) && request.idempotencyKey) {
      // A concurrent retry with the same key won the race: return its job.
      return submitJobOnce(opts, model, retry);
    }
    throw err;
  }
}
