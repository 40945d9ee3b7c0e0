import type { CustomModelRun } from "@proofgrid/por";

export interface ExecuteRequest {
  id: number;
  ref: string;
  slug: string;
  input?: unknown;
  seed?: string;
  generator?: "capability" | "challenge";
  /** An uploaded model (issue 17): its stored file, checked against the id before it runs. */
  custom?: { id: string; path: string; signature: CustomModelRun["signature"] };
}

export type ExecuteResponse = { id: number; ok: true; output: unknown; inferenceMs: number } | { id: number; ok: false; error: string };
