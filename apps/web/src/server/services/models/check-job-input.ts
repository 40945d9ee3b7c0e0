import { adaptInput } from "@proofgrid/models/adapt-input";
import { estimateCostMilliCu } from "@proofgrid/models/catalog";
import type { JobListing } from "@proofgrid/db/models/custom-models";
import { checkCustomJobInput } from "@proofgrid/models/custom/custom-job-io";
import { preprocessInput } from "@proofgrid/models/custom/preprocess-input";
import type { Processing, ProcessingOptions } from "@proofgrid/models/custom/processing";
import type { OnnxSignature } from "@proofgrid/models/custom/validate-onnx";
import { inspectInput, ModelInputError } from "@proofgrid/models/inspect-input";
import { isCustomModelSlug } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { loadCustomModelRun } from "./custom-model-run.ts";
import type { ResolvedModel } from "./resolve-model.ts";

/**
 * Validates a job's input against its model's signature and limits before anything is
 * stored or held, and measures what its price depends on (pixels, seconds, tokens).
 */
/**
 * The input as the model takes it: a client's large photo scaled, its 44.1 kHz stereo
 * recording resampled (packages/models adapt-input), with each change in words; an input that
 * needs nothing comes back as it was sent.
 */
export async function adaptJobInput(
  model: Pick<ResolvedModel, "id" | "slug">,
  input: unknown,
  /** An uploaded model's listing the job is submitted under (readJobListing): its preprocessing. */
  listing: JobListing | null = null,
): Promise<{ input: unknown; adjustments: string[] }> {
  const { slug } = model;
  try {
    // An uploaded model takes its tensors, or what its listing's preprocessing turns into
    // them (an image, a text): the job holds, hashes and receipts the tensors the model runs on.
    if (isCustomModelSlug(slug)) {
      if (!listing || listing.preprocessing === "raw") return { input, adjustments: [] };
      const run = await loadCustomModelRun(model.id);
      if (!run) throw new Error(`custom model ${model.id} has no signature`);
      return await preprocessInput(run.signature as Pick<OnnxSignature, "inputs">, toProcessing(listing), input);
    }
    return await adaptInput(slug, input);
  } catch (err) {
    if (err instanceof ModelInputError)
      throw new AppError(err.tooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", `invalid input for ${slug}: ${err.message}`);
    throw err;
  }
}

export async function checkJobInput(slug: string, input: unknown): Promise<{ costMilliCu: number; inputBytes: number }> {
  try {
    const facts = await inspectInput(slug, input);
    return { costMilliCu: estimateCostMilliCu(slug, facts), inputBytes: JSON.stringify(input).length };
  } catch (err) {
    // The error says whether the input was refused for its size (413) or its form (400).
    if (err instanceof ModelInputError)
      throw new AppError(err.tooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", `invalid input for ${slug}: ${err.message}`);
    throw err;
  }
}

/**
 * checkJobInput for any model a caller resolved: a catalog model by its slug's rules, an
 * uploaded one (issue 17) by its signature — each input tensor checked with tensor-io's rules
 * (a 400 naming the tensor, 413 past a bound or the request's element cap) — and priced from
 * its measured reference cost (customJobCostMilliCu).
 */
export async function checkModelJobInput(model: ResolvedModel, input: unknown): Promise<{ costMilliCu: number; inputBytes: number }> {
  if (!isCustomModelSlug(model.slug)) return checkJobInput(model.slug, input);
  const run = await loadCustomModelRun(model.id);
  if (!run) throw new Error(`custom model ${model.id} has no signature`);
  try {
    const { costMilliCu } = checkCustomJobInput(run.signature, model.baseCostMilliCu, input);
    return { costMilliCu, inputBytes: JSON.stringify(input).length };
  } catch (err) {
    if (err instanceof ModelInputError)
      throw new AppError(err.tooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", `invalid input for ${model.slug}: ${err.message}`);
    throw err;
  }
}

/** A listing's processing as packages/models takes it. */
export function toProcessing(listing: Pick<JobListing, "preprocessing" | "postprocessing" | "processingOptions">): Processing {
  return {
    preprocessing: listing.preprocessing,
    postprocessing: listing.postprocessing,
    options: (listing.processingOptions ?? {}) as ProcessingOptions,
  };
}
