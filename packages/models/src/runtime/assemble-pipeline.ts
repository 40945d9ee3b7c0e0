import type { ModelInput, ModelOutput, ModelSlug } from "../model-schemas.ts";
import type { Pipeline } from "./pipeline.ts";
import type { ModelSession, SessionCall, SessionOptions } from "./session.ts";

/** The parts every pipeline shares: disposal, the disposed check, and run recording. */
export function assemblePipeline<S extends ModelSlug>(parts: {
  slug: S;
  id: string;
  options: Required<SessionOptions>;
  sessions: readonly ModelSession[];
  run: (input: unknown) => Promise<ModelOutput<S>>;
}): Pipeline<S> {
  let disposed = false;
  const run = (input: ModelInput<S>): Promise<ModelOutput<S>> => {
    if (disposed) return Promise.reject(new Error(`pipeline ${parts.slug} was disposed`));
    return parts.run(input);
  };
  return {
    slug: parts.slug,
    id: parts.id,
    options: parts.options,
    run,
    async trace(input) {
      const calls: SessionCall[] = [];
      const stops = parts.sessions.map((s) => s.record(calls));
      try {
        await run(input);
      } finally {
        for (const stop of stops) stop();
      }
      return calls;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const s of parts.sessions) await s.release();
    },
  };
}
