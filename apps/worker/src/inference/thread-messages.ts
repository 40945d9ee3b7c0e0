import type { CustomModelRun } from "@proofgrid/por";

export interface SessionSettings {
  intraOpNumThreads: number;
  graphOptimizationLevel: "disabled" | "basic" | "extended" | "all";
  /** Intra-op threads busy-wait between parallel sections (packages/models SessionOptions). */
  intraOpSpinning?: boolean;
  executionProvider: "cpu" | "cuda";
}

/** An uploaded model (issue 17): its verified file in the worker's cache and the signature it runs by. */
export interface CustomRun {
  /** sha256 of the file: checked again when the thread loads it. */
  modelId: string;
  path: string;
  signature: CustomModelRun["signature"];
}

export interface RunRequest {
  id: number;
  slug: string;
  input: unknown;
  custom?: CustomRun;
}

export type RunResponse =
  | { id: number; ok: true; output: unknown; inferenceMs: number }
  | { id: number; ok: false; error: string /** the input itself is bad: retrying elsewhere won't help */; inputError: boolean };
