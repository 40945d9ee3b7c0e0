// A real node daemon that cheats: `node --import tsx tests/support/cheaters/cheating-node.ts
// --strategy <s> [--fraction f] [--probation n] [--record file]`, or `--lazy-checker` for a
// checker that approves without computing. Identity, protocol and signatures are the
// worker's own (apps/worker); only the executor lies.
import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadConfig } from "../../../apps/worker/src/config.ts";
import { runChecker } from "../../../apps/worker/src/daemon/run-checker.ts";
import { runWorker } from "../../../apps/worker/src/daemon/run-worker.ts";
import { loadIdentity } from "../../../apps/worker/src/identity/node-identity.ts";
import { InferencePool } from "../../../apps/worker/src/inference/inference-pool.ts";
import { createLogger } from "../../../apps/worker/src/logger.ts";
import { NodeClient } from "../../../apps/worker/src/protocol/node-client.ts";
import { CHEAT_STRATEGIES, type CheatStrategy, cheatingExecutor } from "./strategies.ts";

const { values } = parseArgs({
  options: {
    strategy: { type: "string" },
    fraction: { type: "string", default: "0.1" },
    probation: { type: "string", default: "5" },
    record: { type: "string" },
    "lazy-checker": { type: "boolean", default: false },
  },
});

const config = loadConfig();
const identity = loadIdentity(config.PROOFGRID_NODE_DIR);
const log = createLogger(config.LOG_LEVEL, { nodeId: identity.nodeId, cheater: values.strategy ?? "lazy-checker" });
const pool = new InferencePool(config.CONCURRENCY, {
  intraOpNumThreads: config.INTRA_OP_THREADS,
  graphOptimizationLevel: config.GRAPH_OPTIMIZATION,
  executionProvider: "cpu", // the cheaters run where the tests do: no CUDA here
});
const client = new NodeClient(identity, config.REQUEST_TIMEOUT_MS);
const stop = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => (stop.signal.aborted ? process.exit(130) : stop.abort()));

if (values["lazy-checker"]) {
  // Approves everything: reports the subject's own output as its re-execution.
  await runChecker({
    config,
    identity,
    client,
    pool,
    log,
    stop: stop.signal,
    execute: async (item) => ({ output: item.output, inferenceMs: 1 }),
  });
} else {
  const strategy = values.strategy as CheatStrategy;
  if (!CHEAT_STRATEGIES.includes(strategy)) throw new Error(`--strategy must be one of ${CHEAT_STRATEGIES.join(", ")}`);
  const record = values.record;
  const execute = cheatingExecutor({
    strategy,
    fraction: Number(values.fraction),
    probationJobs: Number(values.probation),
    record: record ? (line) => appendFileSync(record, `${JSON.stringify(line)}\n`) : undefined,
  });
  await runWorker({ config, identity, client, pool, log, stop: stop.signal, execute });
}
await pool.close();
process.exit(0);
