export interface SessionSettings {
  intraOpNumThreads: number;
  graphOptimizationLevel: "disabled" | "basic" | "extended" | "all";
  executionProvider: "cpu" | "cuda";
}

export interface RunRequest {
  id: number;
  slug: string;
  input: unknown;
}

export type RunResponse =
  | { id: number; ok: true; output: unknown; inferenceMs: number }
  | { id: number; ok: false; error: string /** the input itself is bad: retrying elsewhere won't help */; inputError: boolean };
