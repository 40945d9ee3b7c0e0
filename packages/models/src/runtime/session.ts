import ort from "onnxruntime-node";

export interface SessionOptions {
  /** Measured best on the 2-core reference machine: 2 threads, 'all' (platform-notes.md). */
  intraOpNumThreads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** 'cuda' needs onnxruntime's CUDA build and a GPU: documented, not tested here. */
  executionProviders?: ("cpu" | "cuda")[];
}

export const DEFAULT_SESSION_OPTIONS: Required<SessionOptions> = {
  intraOpNumThreads: 2,
  graphOptimizationLevel: "all",
  executionProviders: ["cpu"],
};

export type Feeds = Record<string, ort.Tensor>;

/**
 * A session whose `run` calls can be recorded: the benchmark replays the exact feeds of a
 * pipeline run against bare `session.run` to measure what pre/post-processing adds.
 */
export class TracedSession {
  private recording: { session: ort.InferenceSession; feeds: Feeds }[] | undefined;

  private constructor(readonly session: ort.InferenceSession) {}

  static async create(pathOrBytes: string | Uint8Array, opts: SessionOptions = {}): Promise<TracedSession> {
    const o = { ...DEFAULT_SESSION_OPTIONS, ...opts };
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: o.intraOpNumThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: o.graphOptimizationLevel,
      executionProviders: o.executionProviders,
    };
    const session =
      typeof pathOrBytes === "string" ? await ort.InferenceSession.create(pathOrBytes, options) : await ort.InferenceSession.create(pathOrBytes, options);
    return new TracedSession(session);
  }

  async run(feeds: Feeds): Promise<ort.InferenceSession.OnnxValueMapType> {
    this.recording?.push({ session: this.session, feeds });
    return this.session.run(feeds);
  }

  startRecording(into: { session: ort.InferenceSession; feeds: Feeds }[]): void {
    this.recording = into;
  }

  stopRecording(): void {
    this.recording = undefined;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export { ort };
