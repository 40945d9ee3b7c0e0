import { adaptInput } from "@proofgrid/models/adapt-input";
import { estimateCostMilliCu } from "@proofgrid/models/catalog";
import { checkCustomJobInput } from "@proofgrid/models/custom/custom-job-io";
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
export async function adaptJobInput(slug: string, input: unknown): Promise<{ input: unknown; adjustments: string[] }> {
  // An uploaded model takes raw tensors (its only processing so far): nothing to adapt.
  if (isCustomModelSlug(slug)) return { input, adjustments: [] };
  try {
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
