import { adaptInput } from "@proofgrid/models/adapt-input";
import { estimateCostMilliCu } from "@proofgrid/models/catalog";
import { inspectInput, ModelInputError } from "@proofgrid/models/inspect-input";
import { AppError } from "../../errors.ts";

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
