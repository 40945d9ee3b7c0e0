import { Command, InvalidArgumentError } from "commander";
import { loadClientEnv, loadConfig, modelCacheDir, type WorkerConfig } from "./config.ts";
import { runBenchmark } from "./commands/bench.ts";
import { registerCommand } from "./commands/register.ts";
import { verifyReceiptCommand } from "./commands/verify-receipt.ts";
import { sayGoodbye } from "./daemon/goodbye.ts";
import { runChecker } from "./daemon/run-checker.ts";
import { runWorker } from "./daemon/run-worker.ts";
import { chooseExecutionProvider, type ProviderChoice, type RequestedProvider } from "./gpu/choose-execution-provider.ts";
import { probeGpu } from "./gpu/detect-gpu.ts";
import { loadIdentity } from "./identity/node-identity.ts";
import { InferencePool } from "./inference/inference-pool.ts";
import { createLogger } from "./logger.ts";
import { ModelCache } from "./models/model-cache.ts";
import { NodeClient } from "./protocol/node-client.ts";
import { WORKER_VERSION } from "./version.ts";

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("must be an integer");
  return n;
}
function float(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError("must be a number");
  return n;
}

interface CommonFlags {
  url?: string;
  dir?: string;
  concurrency?: number;
  threads?: number;
  executionProvider?: string;
}

function configFrom(flags: CommonFlags): WorkerConfig {
  return loadConfig({
    PROOFGRID_URL: flags.url,
    PROOFGRID_NODE_DIR: flags.dir,
    CONCURRENCY: flags.concurrency,
    INTRA_OP_THREADS: flags.threads,
    EXECUTION_PROVIDER: flags.executionProvider,
  });
}

function poolFor(config: WorkerConfig, provider: "cpu" | "cuda"): InferencePool {
  return new InferencePool(
    config.CONCURRENCY,
    {
      intraOpNumThreads: config.INTRA_OP_THREADS,
      graphOptimizationLevel: config.GRAPH_OPTIMIZATION,
      intraOpSpinning: config.INTRA_OP_SPINNING === "1",
      executionProvider: provider,
    },
    { timeoutMs: config.INFERENCE_TIMEOUT_MS, heapMb: config.INFERENCE_HEAP_MB },
  );
}

/** Where the platform serves this package: the reinstall command in a CUDA fallback message names it. */
function packageUrl(platformUrl: string): string {
  return new URL("/downloads/proofgrid-worker.tgz", platformUrl).toString();
}

/** Probes the GPU unless CPU is asked for, and says what it chose (a warning when it fell back). */
async function chooseProvider(
  requested: RequestedProvider,
  platformUrl: string,
  say: (choice: ProviderChoice) => void,
): Promise<ProviderChoice> {
  const probe = requested === "cpu" ? null : await probeGpu();
  const choice = chooseExecutionProvider({ requested, probe, packageUrl: packageUrl(platformUrl) });
  say(choice);
  return choice;
}

const sayOnStderr = (choice: ProviderChoice) => console.error(`${choice.fellBack ? "warning: " : ""}${choice.message}`);

const program = new Command()
  .name("proofgrid-worker")
  .description("Proofgrid node daemon: run inference jobs (worker) or verify them (checker)")
  .version(WORKER_VERSION)
  .option("--url <url>", "platform URL (env PROOFGRID_URL)")
  .option("--dir <dir>", "node data directory holding its key (env PROOFGRID_NODE_DIR)")
  .option("--concurrency <n>", "jobs run at once (env CONCURRENCY)", int)
  .option("--threads <n>", "onnxruntime intra-op threads per job (env INTRA_OP_THREADS)", int)
  .option(
    "--execution-provider <ep>",
    "auto, cpu or cuda (env EXECUTION_PROVIDER). auto/cuda use CUDA when onnxruntime-node's CUDA provider runs here, else fall back to CPU with the reason; default: what register chose",
  );

program
  .command("register")
  .description("register this machine with a provider's one-time token")
  .requiredOption("--token <token>", "one-time registration token from the provider portal")
  .option("--name <name>", "node name (default: hostname)")
  .option("--region <region>", "region id, e.g. us-east or ca-montreal", "local")
  .option("--lat <deg>", "latitude", float)
  .option("--lon <deg>", "longitude", float)
  .option("--cu-per-hour <n>", "claimed capability; measured with a quick benchmark if omitted", int)
  .option("--ask-price <baseUnits>", "asking price per CU in token base units (default: the platform's list price)", int)
  .action(
    async (o: { token: string; name?: string; region: string; lat?: number; lon?: number; cuPerHour?: number; askPrice?: number }) => {
      const config = configFrom(program.opts());
      // The capability is measured on the execution provider the node will run on.
      const choice = await chooseProvider(config.EXECUTION_PROVIDER ?? "auto", config.PROOFGRID_URL, sayOnStderr);
      let cuPerHour = o.cuPerHour;
      if (cuPerHour === undefined) {
        const pool = poolFor({ ...config, CONCURRENCY: 1 }, choice.provider);
        try {
          cuPerHour = (await runBenchmark({ pool, iterations: 5, progress: process.stderr.isTTY })).cuPerHour;
        } finally {
          await pool.close();
        }
      }
      const res = await registerCommand({
        config,
        token: o.token,
        name: o.name,
        region: o.region,
        latitude: o.lat,
        longitude: o.lon,
        cuPerHour,
        askPricePerCu: o.askPrice,
        executionProvider: choice.provider,
      });
      console.log(
        JSON.stringify({
          registered: true,
          nodeId: res.nodeId,
          cuPerHour,
          executionProvider: choice.provider,
          gpus: choice.gpus,
          models: res.models,
          dir: config.PROOFGRID_NODE_DIR,
        }),
      );
    },
  );

program
  .command("bench")
  .description("measure this machine's capability in Compute Units per hour")
  .option("--iterations <n>", "runs per model", int, 20)
  .action(async (o: { iterations: number }) => {
    const config = configFrom(program.opts());
    const choice = await chooseProvider(config.EXECUTION_PROVIDER ?? "auto", config.PROOFGRID_URL, sayOnStderr);
    const pool = poolFor({ ...config, CONCURRENCY: 1 }, choice.provider);
    try {
      const r = await runBenchmark({ pool, iterations: Math.max(1, Math.min(o.iterations, 1_000)), progress: process.stderr.isTTY });
      console.log(JSON.stringify({ ...r, executionProvider: choice.provider, gpus: choice.gpus }));
    } finally {
      await pool.close();
    }
  });

program
  .command("verify-receipt")
  .description(
    "check a job's receipt: it is for this job, the output (and input, if given) hash to what it signs, and the worker's signature and the platform's countersignature hold; exits 1 with the reasons otherwise",
  )
  .argument(
    "[file]",
    "the job as GET /api/v1/jobs/<id> returns it (or a bare receipt), - for standard input; omit to fetch --job with --url",
  )
  .option("--job <id>", "the job id the receipt must be for (default: the id in the job file)")
  .option("--input <file>", "the job's input as you submitted it (JSON), to check the signed input hash")
  .option("--output <file>", "the job's output (JSON), when the file is a bare receipt")
  .option("--api-key <key>", "API key with jobs:read, to fetch the job from --url (env PROOFGRID_API_KEY)")
  .option("--worker-key <key>", "the worker's ed25519 public key (base64url); fetched from --url if omitted")
  .option("--platform-key <key>", "the platform's ed25519 public key (base64url); fetched from --url if omitted")
  .action(
    async (
      file: string | undefined,
      o: { job?: string; input?: string; output?: string; apiKey?: string; workerKey?: string; platformKey?: string },
    ) => {
      const env = loadClientEnv();
      const url = program.opts<CommonFlags>().url ?? env.PROOFGRID_URL;
      const r = await verifyReceiptCommand({
        file,
        jobId: o.job,
        inputFile: o.input,
        outputFile: o.output,
        apiKey: o.apiKey ?? env.PROOFGRID_API_KEY,
        workerKey: o.workerKey,
        platformKey: o.platformKey,
        url,
      });
      console.log(JSON.stringify(r));
      for (const c of r.checks) if (c.ok === false) console.error(`✗ ${c.check}: ${c.detail}`);
      console.error(r.valid ? `receipt valid for job ${r.jobId}` : "receipt NOT valid");
      if (!r.valid) process.exitCode = 1;
    },
  );

program
  .command("start")
  .description("run the daemon")
  .option("--role <role>", "worker or checker", "worker")
  .action(async (o: { role: string }) => {
    const config = configFrom(program.opts());
    if (o.role !== "worker" && o.role !== "checker") throw new InvalidArgumentError(`--role must be worker or checker, got '${o.role}'`);
    const identity = loadIdentity(config.PROOFGRID_NODE_DIR);
    const log = createLogger(config.LOG_LEVEL, { nodeId: identity.nodeId });
    const requested = config.EXECUTION_PROVIDER ?? identity.executionProvider ?? "auto";
    const choice = await chooseProvider(requested, identity.url, (c) => {
      if (!c.fellBack) return log.info({ executionProvider: c.provider, gpus: c.gpus }, c.message);
      // Its capability was measured on what register chose: on less, checkers will derate it.
      const measuredOn =
        identity.executionProvider === "cuda"
          ? " This node registered with a capability measured on CUDA: on CPU it delivers less, and checkers will lower its credited CU/h."
          : "";
      log.warn({ executionProvider: c.provider, requested: c.requested, gpus: c.gpus }, `${c.message}${measuredOn}`);
    });
    const pool = poolFor(config, choice.provider);
    const stop = new AbortController();
    let signals = 0;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.on(sig, () => {
        signals++;
        if (signals > 1) {
          log.warn({ sig }, "second signal: exiting now");
          process.exit(130);
        }
        stop.abort();
      });
    }
    log.info({ url: identity.url, concurrency: config.CONCURRENCY, role: o.role, executionProvider: choice.provider }, `${o.role} started`);
    const client = new NodeClient(identity, config.REQUEST_TIMEOUT_MS, {
      session: config.NODE_SESSION === "on",
      onSessionFallback: (reason) => log.info({ reason }, "node session unavailable: signed HTTP requests instead"),
    });
    // Customers' uploaded models (issue 17), only for a node that opted in: fetched by id over
    // the signed protocol, verified, and cached on disk within MODEL_CACHE_MAX_BYTES.
    const models = config.ACCEPT_CUSTOM_MODELS
      ? new ModelCache({
          dir: modelCacheDir(config),
          maxBytes: config.MODEL_CACHE_MAX_BYTES,
          fetchRange: (id, from, signal) => client.downloadModel(id, from, { signal }),
          onEvict: (id, size) => log.info({ modelId: id, bytes: size }, "custom model evicted from the cache"),
        })
      : undefined;
    // The platform knows each node's role and licence: a worker key cannot lease checks.
    if (o.role === "checker") await runChecker({ config, identity, client, pool, log, stop: stop.signal, models });
    else await runWorker({ config, identity, client, pool, log, stop: stop.signal, models });
    // A clean stop: its jobs are finished or handed back, so the platform can show it offline now.
    await sayGoodbye({ client, log, timeoutMs: Math.min(config.REQUEST_TIMEOUT_MS, 5_000) });
    client.close();
    await pool.close();
    log.info(`${o.role} stopped`);
    process.exit(0);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`proofgrid-worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
