import { createPipeline } from "./runtime/create-pipeline.ts";
import type { SessionOptions } from "./runtime/session.ts";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/**
 * The baseline for "what does the pipeline add": replays exactly the session.run calls one
 * pipeline run made (same tensors, same sessions, same options), timing only those.
 */
export async function benchBareSessionRun(slug: string, input: unknown, opts: SessionOptions & { iterations: number }) {
  const pipeline = await createPipeline(slug, opts);
  try {
    const calls = await pipeline.trace(input);
    for (const c of calls) await c.session.run(c.feeds); // warm
    const times: number[] = [];
    for (let i = 0; i < opts.iterations; i++) {
      const t0 = performance.now();
      for (const c of calls) await c.session.run(c.feeds);
      times.push(performance.now() - t0);
    }
    return { medianMs: median(times), calls: calls.length };
  } finally {
    await pipeline.dispose();
  }
}
