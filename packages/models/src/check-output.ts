import { z } from "zod";
import { isModelSlug, OUTPUT_SCHEMAS } from "./model-schemas.ts";

/** What the platform knows of a job's input without reading it again: how many texts an encoder job holds. */
export interface OutputExpectations {
  items?: number;
}

/**
 * Why a worker's result cannot be a result of this catalog model, or null when it can: its
 * output schema (bounded: no field, line or vector the model cannot produce) and what the
 * input fixes (one vector per text, segments inside the audio). A result that fails is
 * refused before it is stored, countersigned or paid (issue 11 finding 6: an 8 MiB
 * `{dim, vectors, pad}` was accepted and paid). Models outside the catalog have no schema
 * here and pass.
 */
export function checkModelOutput(slug: string, output: unknown, expect: OutputExpectations = {}): string | null {
  if (!isModelSlug(slug)) return null;
  const parsed = OUTPUT_SCHEMAS[slug].safeParse(output);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.slice(0, 4).join(".") : "output";
    return `${where}: ${issue?.message ?? z.prettifyError(parsed.error)}`.slice(0, 300);
  }
  if (slug === "encoder-synthetic-minilm") {
    const { vectors } = parsed.data as z.infer<(typeof OUTPUT_SCHEMAS)["encoder-synthetic-minilm"]>;
    if (expect.items !== undefined && vectors.length !== expect.items) {
      return `vectors: ${vectors.length} vectors for ${expect.items} input text(s)`;
    }
  }
  if (slug === "vad-silero-v5") {
    const { segments, durationSec } = parsed.data as z.infer<(typeof OUTPUT_SCHEMAS)["vad-silero-v5"]>;
    const bad = segments.findIndex((seg) => seg.start > seg.end || seg.end > durationSec + 0.05);
    if (bad >= 0) return `segments.${bad}: not inside the audio (start ≤ end ≤ durationSec)`;
  }
  return null;
}
