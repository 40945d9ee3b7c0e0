import { parentPort } from "node:worker_threads";
import { capabilityInput } from "@proofgrid/models/capability-input";
import { challengeInput } from "@proofgrid/models/challenge-input";
import { createPipeline } from "@proofgrid/models";
import { type CustomPipeline, createCustomPipeline } from "@proofgrid/models/custom/custom-pipeline";
import type { ExecuteRequest, ExecuteResponse } from "./messages.ts";

// The platform's own re-execution, off the coordinator's main thread: onnxruntime's
// session.run() blocks its thread for the whole inference (platform-notes.md), and the
// coordinator's dispatcher and loops must keep running. A challenge's input is rendered
// here from its seed exactly as a checker renders it (apps/worker run-checker.ts).
type Pipeline = Awaited<ReturnType<typeof createPipeline>> | CustomPipeline;
const pipelines = new Map<string, Promise<Pipeline>>();
// The reference machine's session options, as the checkers and the benchmark use.
const SESSION = { intraOpNumThreads: 2, graphOptimizationLevel: "all" } as const;

function pipelineFor(req: ExecuteRequest): Promise<Pipeline> {
  const key = req.custom ? `custom:${req.custom.id}` : req.slug;
  let p = pipelines.get(key);
  if (!p) {
    // An uploaded model (issue 17) runs from the store's file, only if it hashes to its id.
    p = req.custom
      ? createCustomPipeline({ path: req.custom.path, id: req.custom.id, signature: req.custom.signature, sessionOptions: SESSION })
      : createPipeline(req.slug, SESSION);
    pipelines.set(key, p);
    p.catch(() => pipelines.delete(key));
  }
  return p;
}

async function inputOf(req: ExecuteRequest): Promise<unknown> {
  if (req.input !== undefined) return req.input;
  if (!req.seed) throw new Error(`item ${req.ref} has neither input nor seed`);
  return req.generator === "capability"
    ? capabilityInput(req.slug as never, req.seed)
    : (await challengeInput(req.slug as never, req.seed)).input;
}

if (!parentPort) throw new Error("executor-thread must run in a worker thread");
const port = parentPort;
port.on("message", async (req: ExecuteRequest) => {
  let res: ExecuteResponse;
  try {
    const input = await inputOf(req);
    const pipeline = await pipelineFor(req);
    const t0 = performance.now();
    const output = await pipeline.run(input as never);
    res = { id: req.id, ok: true, output, inferenceMs: performance.now() - t0 };
  } catch (err) {
    res = { id: req.id, ok: false, error: err instanceof Error ? err.message.slice(0, 2_000) : String(err).slice(0, 2_000) };
  }
  port.postMessage(res);
});
