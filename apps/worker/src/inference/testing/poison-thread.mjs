// A stand-in inference thread for the pool's tests: each "model" is a way a poison input
// behaves. echo answers; hang never does; crash kills its thread; balloon grows the JS heap
// until the thread's limit stops it.
import { parentPort } from "node:worker_threads";

parentPort.on("message", (req) => {
  if (req.slug === "echo") parentPort.postMessage({ id: req.id, ok: true, output: req.input, inferenceMs: 0 });
  else if (req.slug === "hang") for (;;);
  else if (req.slug === "crash") throw new Error("the model crashed");
  else if (req.slug === "balloon") {
    const kept = [];
    for (;;) kept.push(new Array(1_000_000).fill(kept.length));
  }
});
