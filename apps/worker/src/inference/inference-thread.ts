import { parentPort, workerData } from "node:worker_threads";
import { createPipeline, ModelInputError } from "@proofgrid/models";
import { type CustomPipeline, createCustomPipeline } from "@proofgrid/models/custom/custom-pipeline";
import type { RunRequest, RunResponse, SessionSettings } from "./thread-messages.ts";

// onnxruntime's session.run() blocks its thread for the whole inference: it runs here,
// never on the daemon's main thread that answers heartbeats (platform-notes.md).
const settings = workerData as SessionSettings;
type Pipeline = Awaited<ReturnType<typeof createPipeline>> | CustomPipeline;
const pipelines = new Map<string, Promise<Pipeline>>();
/**
 * Uploaded models' sessions kept loaded per thread, least recently used dropped first. The
 * catalog is a handful of models loaded for good; customers can send any number of theirs.
 */
const MAX_CUSTOM_SESSIONS = 4;
const custom = new Map<string, Promise<CustomPipeline>>();
const sessionOptions = () => ({
  intraOpNumThreads: settings.intraOpNumThreads,
  graphOptimizationLevel: settings.graphOptimizationLevel,
  intraOpSpinning: settings.intraOpSpinning,
  executionProviders: [settings.executionProvider],
});

function pipelineFor(req: RunRequest): Promise<Pipeline> {
  if (req.custom) return customPipelineFor(req.custom);
  const slug = req.slug;
  let p = pipelines.get(slug);
  if (!p) {
    p = createPipeline(slug, sessionOptions());
    pipelines.set(slug, p);
    p.catch(() => pipelines.delete(slug));
  }
  return p;
}

/** The file is hashed before a session is made from its bytes (createCustomPipeline): a changed file never runs. */
function customPipelineFor(run: NonNullable<RunRequest["custom"]>): Promise<CustomPipeline> {
  const id = run.modelId;
  let p = custom.get(id);
  if (p) {
    custom.delete(id);
    custom.set(id, p);
    return p;
  }
  p = createCustomPipeline({ path: run.path, id, signature: run.signature, sessionOptions: sessionOptions() });
  custom.set(id, p);
  p.catch(() => custom.delete(id));
  while (custom.size > MAX_CUSTOM_SESSIONS) {
    const [oldest, evicted] = custom.entries().next().value as [string, Promise<CustomPipeline>];
    custom.delete(oldest);
    void evicted.then((q) => q.dispose()).catch(() => undefined);
  }
  return p;
}

if (!parentPort) throw new Error("inference-thread must run in a worker thread");
const port = parentPort;

// One request at a time per thread (the pool never sends a second before the reply).
port.on("message", async (req: RunRequest) => {
  let res: RunResponse;
  try {
    const pipeline = await pipelineFor(req);
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
