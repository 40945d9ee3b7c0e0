import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

// Daemon settings: env first, CLI flags override. Names carry their units.
export const ZWorkerConfig = z.object({
  PROOFGRID_URL: z.url().default("http://localhost:3000"),
  /** Holds the node's key (node.json, mode 0600). One directory per node. */
  PROOFGRID_NODE_DIR: z.string().default(join(homedir(), ".proofgrid-worker")),
  CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  LEASE_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(25_000),
  /** 0 = a third of the lease the platform grants. */
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
  /** Request timeout for everything but the long-poll. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(15_000),
  RETRY_MAX_DELAY_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  INTRA_OP_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  /** 1: onnxruntime's intra-op threads busy-wait between parallel sections (its default; a core
   * kept busy through and after every run). Off unless the machine has cores to spare. */
  INTRA_OP_SPINNING: z.enum(["0", "1"]).default("0"),
  /** One inference longer than this is stopped and its job failed (a hanging model or input). */
  INFERENCE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
  /** The JS heap of one inference thread; past it the thread dies and its job fails, the daemon lives. */
  INFERENCE_HEAP_MB: z.coerce.number().int().min(64).max(65_536).default(2_048),
  GRAPH_OPTIMIZATION: z.enum(["disabled", "basic", "extended", "all"]).default("all"),
  /**
   * auto: CUDA when onnxruntime-node's CUDA provider runs a model here, else CPU. Unset:
   * what `register` chose and saved in node.json (register itself uses auto).
   */
  EXECUTION_PROVIDER: z.enum(["auto", "cpu", "cuda"]).optional(),
  /**
   * Run customers' uploaded ONNX models too (issue 17): 1 to opt in. Sent at registration and
   * on every heartbeat; the platform gives such jobs only to workers (and such checks only to
   * checkers) that opted in. Each model is downloaded once over the signed protocol, verified
   * against its sha256 and cached (MODEL_CACHE_DIR, MODEL_CACHE_MAX_BYTES).
   */
  ACCEPT_CUSTOM_MODELS: z.stringbool().default(false),
  /** Downloaded custom models (issue 17); default `<PROOFGRID_NODE_DIR>/models` (see modelCacheDir). */
  MODEL_CACHE_DIR: z.string().min(1).optional(),
  /** The bound on the cached models' bytes together; past it the least recently used are deleted. */
  MODEL_CACHE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024 * 1024)
    .max(2 ** 50)
    .default(10 * 1024 * 1024 * 1024),
  /**
   * on: the node protocol's JSON requests go on one WebSocket (a node session, each frame
   * signed) when the platform offers it, else as signed HTTP requests; off: always HTTP.
   */
  NODE_SESSION: z.enum(["on", "off"]).default("on"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type WorkerConfig = z.infer<typeof ZWorkerConfig>;

/** Where the worker caches downloaded models: MODEL_CACHE_DIR, else a folder of the node's directory. */
export function modelCacheDir(config: Pick<WorkerConfig, "MODEL_CACHE_DIR" | "PROOFGRID_NODE_DIR">): string {
  return config.MODEL_CACHE_DIR ?? join(config.PROOFGRID_NODE_DIR, "models");
}

export function loadConfig(overrides: Partial<Record<keyof WorkerConfig, string | number | undefined>> = {}): WorkerConfig {
  const merged: Record<string, unknown> = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const parsed = ZWorkerConfig.safeParse(merged);
  if (!parsed.success) throw new Error(`invalid worker configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const ZClientEnv = z.object({
  PROOFGRID_URL: z.url().optional(),
  /** A customer's API key, for `verify-receipt --job` (reads the job and its input). */
  PROOFGRID_API_KEY: z.string().min(1).max(200).optional(),
});

/** What the customer-side commands (`verify-receipt`) take from the environment when no flag says. */
export function loadClientEnv(): z.infer<typeof ZClientEnv> {
  const parsed = ZClientEnv.safeParse(process.env);
  if (!parsed.success) throw new Error(`invalid environment:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
