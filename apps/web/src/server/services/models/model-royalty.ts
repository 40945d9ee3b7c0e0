import { type JobListing, jobListing, royaltyOf } from "@proofgrid/db/models/custom-models";
import { sql } from "@proofgrid/db/sql-client";
import { isCustomModelSlug } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { formatTokens } from "../billing/tokens.ts";
import type { ResolvedModel } from "./resolve-model.ts";

/**
 * The listing of an uploaded model a job of `orgId` is submitted under (its royalty, its
 * processing): null for a catalog model; a model the organisation may no longer see (made
 * private or given up since its id was resolved) is the 404 of a missing one.
 */
export async function readJobListing(opts: { orgId: string; model: ResolvedModel }): Promise<JobListing | null> {
  if (!isCustomModelSlug(opts.model.slug)) return null;
  const listing = await jobListing(sql(), { orgId: opts.orgId, modelId: opts.model.id });
  if (!listing) throw new AppError("NOT_FOUND", `unknown model '${opts.model.slug}': list models with GET /api/v1/models`);
  return listing;
}

/** The largest royalty an owner may ask per job: 1 000 tokens. */
export const MAX_ROYALTY_BASE_UNITS = 1_000_000_000n;

/**
 * What a job of `orgId` on the model pays its owner (issue 17), read when the job is
 * submitted and fixed on it: null for a catalog model, a model the organisation owns itself,
 * or a royalty of 0. A royalty is paid only when the customer accepted it: above its
 * `maxRoyalty` (0 when it sends none) the job is refused (422) and nothing is held, so an
 * owner who sets or raises a royalty charges no customer that did not agree to it. A model
 * the organisation may no longer see (made private or given up since its id was resolved) is
 * the 404 of a missing one.
 */
export async function jobRoyalty(opts: {
  orgId: string;
  model: ResolvedModel;
  maxRoyalty?: bigint;
  /** The listing readJobListing read for this job, if the caller has it: no second read. */
  listing?: JobListing | null;
}): Promise<{ amount: bigint; orgId: string } | null> {
  if (!isCustomModelSlug(opts.model.slug)) return null;
  const listing = opts.listing ?? (await readJobListing({ orgId: opts.orgId, model: opts.model }));
  if (!listing) return null;
  const payee = royaltyOf(listing, opts.orgId);
  const cap = opts.maxRoyalty ?? 0n;
  if (payee && payee.amount > cap) {
    const asks = `model ${opts.model.slug}'s owner asks a royalty of ${formatTokens(payee.amount)} tokens per job`;
    throw new AppError(
      "UNPROCESSABLE",
      opts.maxRoyalty === undefined
        ? `${asks}: to accept it, send maxRoyalty of at least ${payee.amount} (base units)`
        : `${asks}, more than your maxRoyalty of ${formatTokens(cap)}`,
      { royalty: payee.amount.toString(), maxRoyalty: cap.toString() },
    );
  }
  return payee;
}
