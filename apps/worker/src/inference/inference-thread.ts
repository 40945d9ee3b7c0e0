import { parentPort, workerData } from "node:worker_threads";
import { createPipeline, ModelInputError } from "@proofgrid/models";
import type { RunRequest, RunResponse, SessionSettings } from "./thread-messages.ts";

// onnxruntime's session.run() blocks its thread for the whole inference: it runs here,
// never on the daemon's main thread that answers heartbeats (platform-notes.md).
const settings = workerData as SessionSettings;
type Pipeline = Awaited<ReturnType<typeof createPipeline>>;
const pipelines = new Map<string, Promise<Pipeline>>();

function pipelineFor(slug: string): Promise<Pipeline> {
  let p = pipelines.get(slug);
  if (!p) {
    p = createPipeline(slug, {
      intraOpNumThreads: settings.intraOpNumThreads,
      graphOptimizationLevel: settings.graphOptimizationLevel,
      executionProviders: [settings.executionProvider],
    });
    pipelines.set(slug, p);
    p.catch(() => pipelines.delete(slug));
  }
  return p;
}

if (!parentPort) throw new Error("inference-thread must run in a worker thread");
const port = parentPort;

// One request at a time per thread (the pool never sends a second before the reply).
port.on("message", async (req: RunRequest) => {
  let res: RunResponse;
  try {
    const pipeline = await pipelineFor(req.slug);
    const t0 = performance.now();
    const output = await pipeline.run(req.input as never);
    res = { id: req.id, ok: true, output, inferenceMs: performance.now() - t0 };
  } catch (err) {
    res = {
      id: req.id,
      ok: false,
      error: err instanceof Error ? err.message.slice(0, 2_000) : String(err).slice(0, 2_000),
      inputError: err instanceof ModelInputError,
    };
  }
  port.postMessage(res);
});
