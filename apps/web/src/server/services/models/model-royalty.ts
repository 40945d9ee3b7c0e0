import { royaltyFor } from "@proofgrid/db/models/custom-models";
import { sql } from "@proofgrid/db/sql-client";
import { isCustomModelSlug } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { formatTokens } from "../billing/tokens.ts";
import type { ResolvedModel } from "./resolve-model.ts";

/** The largest royalty an owner may ask per job: 1 000 tokens. */
export const MAX_ROYALTY_BASE_UNITS = 1_000_000_000n;

/**
 * What a job of `orgId` on the model pays its owner (issue 17), read when the job is
 * submitted and fixed on it: null for a catalog model, a model the organisation owns itself,
 * or a royalty of 0. Above the customer's `maxRoyalty` the job is refused (422) and nothing
 * is held: an owner who raises the royalty cannot charge a customer who capped it.
 */
export async function jobRoyalty(opts: {
  orgId: string;
  model: ResolvedModel;
  maxRoyalty?: bigint;
}): Promise<{ amount: bigint; orgId: string } | null> {
  if (!isCustomModelSlug(opts.model.slug)) return null;
  const royalty = await royaltyFor(sql(), { orgId: opts.orgId, modelId: opts.model.id });
  if (royalty && opts.maxRoyalty !== undefined && royalty.amount > opts.maxRoyalty) {
    throw new AppError(
      "UNPROCESSABLE",
      `model ${opts.model.slug}'s owner asks a royalty of ${formatTokens(royalty.amount)} tokens per job, more than your maxRoyalty of ${formatTokens(opts.maxRoyalty)}`,
      { royalty: royalty.amount.toString(), maxRoyalty: opts.maxRoyalty.toString() },
    );
  }
  return royalty;
}
