import type { ort } from "./session.ts";
import type { Feeds } from "./session.ts";

export interface Pipeline<I = unknown, O = unknown> {
  slug: string;
  run(input: I): Promise<O>;
  /** Runs once while recording every session.run call (for the bare-run benchmark). */
  trace(input: I): Promise<{ session: ort.InferenceSession; feeds: Feeds }[]>;
  dispose(): Promise<void>;
}
