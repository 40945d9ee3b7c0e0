import type { Feeds, ort, TracedSession } from "./session.ts";

export interface Pipeline<I = unknown, O = unknown> {
  slug: string;
  run(input: I): Promise<O>;
  /** Runs once while recording every session.run call (for the bare-run benchmark). */
  trace(input: I): Promise<{ session: ort.InferenceSession; feeds: Feeds }[]>;
  dispose(): Promise<void>;
}

/** Builds a pipeline from its sessions and its run function: tracing and disposal are shared. */
export function assemblePipeline<I, O>(slug: string, sessions: readonly TracedSession[], run: (input: I) => Promise<O>): Pipeline<I, O> {
  return {
    slug,
    run,
    async trace(input) {
      const calls: { session: ort.InferenceSession; feeds: Feeds }[] = [];
      for (const s of sessions) s.startRecording(calls);
      try {
        await run(input);
      } finally {
        for (const s of sessions) s.stopRecording();
      }
      return calls;
    },
    async dispose() {
      for (const s of sessions) await s.release();
    },
  };
}
