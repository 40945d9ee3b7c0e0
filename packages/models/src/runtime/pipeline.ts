import type { ModelInput, ModelOutput, ModelSlug } from "../model-schemas.ts";
import type { SessionCall, SessionOptions } from "./session.ts";

/** A loaded built-in model: pre-processing, inference and post-processing behind one run(). */
export interface Pipeline<S extends ModelSlug = ModelSlug> {
  readonly slug: S;
  /** The model id: sha256 of its ONNX file(s), see model-files.ts. */
  readonly id: string;
  /** The session options in force (defaults filled in). */
  readonly options: Readonly<Required<SessionOptions>>;
  /**
   * Validates the input (throws ModelInputError) and returns the output exactly as the
   * catalog's output schema describes it. Identical inputs and options give identical outputs.
   */
  run(input: ModelInput<S>): Promise<ModelOutput<S>>;
  /** Runs once, recording every session.run call it makes (for the bare-run benchmark). */
  trace(input: ModelInput<S>): Promise<SessionCall[]>;
  /** Releases the sessions; run() afterwards throws. Idempotent. */
  dispose(): Promise<void>;
}
