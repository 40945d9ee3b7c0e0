export interface ExecuteRequest {
  id: number;
  ref: string;
  slug: string;
  input?: unknown;
  seed?: string;
  generator?: "capability" | "challenge";
}

export type ExecuteResponse = { id: number; ok: true; output: unknown; inferenceMs: number } | { id: number; ok: false; error: string };
