import ort from "onnxruntime-node";

export interface SessionOptions {
  /**
   * Threads inside one operator. 2 on the 2-core reference machine: PP-OCRv4 recognition
   * (1×3×48×320) took 33 ms with onnxruntime's defaults, 22 ms with 1 thread and 16 ms
   * with 2 threads and optimisation "all" (platform-notes.md).
   */
  intraOpNumThreads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /**
   * Whether the intra-op threads spin (busy-wait) between parallel sections instead of
   * sleeping: onnxruntime's default. Off here: a spinning pool keeps a core busy through and
   * after every run, which on a 2-core machine shared with the daemon (and, under
   * `npm start`, the platform) took the CPU the rest of the job needed — a tiny VAD job cost
   * 34 ms of the worker's CPU spinning, 6.5 ms not, and the whole job ran 25 % sooner
   * (issue 15, `npm run bench -- --only ort-spin`). A worker with cores to spare may turn it on.
   */
  intraOpSpinning?: boolean;
  /** "cuda" needs onnxruntime's CUDA build and a GPU: documented, not tested here. */
  executionProviders?: ("cpu" | "cuda")[];
}

/** The reference machine's settings, which define 1 CU: keep them the same in benchmarks. */
export const DEFAULT_SESSION_OPTIONS: Readonly<Required<SessionOptions>> = {
  intraOpNumThreads: 2,
  graphOptimizationLevel: "all",
  intraOpSpinning: false,
  executionProviders: ["cpu"],
};

const MAX_THREADS = 256;

export function resolveSessionOptions(opts: SessionOptions = {}): Required<SessionOptions> {
  const o = {
    intraOpNumThreads: opts.intraOpNumThreads ?? DEFAULT_SESSION_OPTIONS.intraOpNumThreads,
    graphOptimizationLevel: opts.graphOptimizationLevel ?? DEFAULT_SESSION_OPTIONS.graphOptimizationLevel,
    intraOpSpinning: opts.intraOpSpinning ?? DEFAULT_SESSION_OPTIONS.intraOpSpinning,
    executionProviders: opts.executionProviders ?? [...DEFAULT_SESSION_OPTIONS.executionProviders],
  };
  if (!Number.isInteger(o.intraOpNumThreads) || o.intraOpNumThreads < 1 || o.intraOpNumThreads > MAX_THREADS) {
    throw new RangeError(`intraOpNumThreads must be an integer from 1 to ${MAX_THREADS}, got ${o.intraOpNumThreads}`);
  }
  if (o.executionProviders.length === 0) throw new RangeError("executionProviders is empty");
  return o;
}

export type Feeds = Record<string, ort.Tensor>;
export type Fetches = ort.InferenceSession.OnnxValueMapType;

/** One `session.run` a pipeline made: replayed by the bare-run benchmark. */
export interface SessionCall {
  session: ort.InferenceSession;
  feeds: Feeds;
}

/**
 * An onnxruntime session whose runs can be recorded, so a benchmark can replay exactly
 * the tensors a pipeline fed it and tell inference time from pre/post-processing.
 */
export class ModelSession {
  private recording: SessionCall[] | undefined;

  private constructor(readonly session: ort.InferenceSession) {}

  static async create(path: string, opts: Required<SessionOptions>): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: opts.intraOpNumThreads,
      // One graph branch at a time: these models are sequential, and a second pool would fight the first for 2 cores.
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: opts.graphOptimizationLevel,
      executionProviders: opts.executionProviders,
      // onnxruntime-node passes these on as session config entries (session.intra_op.allow_spinning).
      extra: { session: { intra_op: { allow_spinning: opts.intraOpSpinning ? "1" : "0" } } },
    });
    return new ModelSession(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  run(feeds: Feeds): Promise<Fetches> {
    this.recording?.push({ session: this.session, feeds });
    return this.session.run(feeds);
  }

  /** Records every run until the returned function is called. */
  record(into: SessionCall[]): () => void {
    this.recording = into;
    return () => {
      this.recording = undefined;
    };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Fails fast, with names, when a model file is not the graph the pipeline was written for. */
export function assertSessionIo(s: ModelSession, what: string, inputs: readonly string[], outputs: readonly string[]): void {
  const missing = [...inputs.filter((n) => !s.inputNames.includes(n)), ...outputs.filter((n) => !s.outputNames.includes(n))];
  if (missing.length) {
    throw new Error(
      `${what}: model lacks ${missing.join(", ")} (has inputs ${s.inputNames.join(", ")}; outputs ${s.outputNames.join(", ")})`,
    );
  }
}

export function outputTensor(fetches: Fetches, name: string): ort.Tensor {
  const t = fetches[name];
  if (!t) throw new Error(`model returned no ${name}`);
  return t;
}

export { ort };
