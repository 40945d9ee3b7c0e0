import { AppError } from "../../errors.ts";
import { checkHealth } from "../health/check-health.ts";

/** The server metadata (`GET /v2`). No extensions: binary tensors, shared memory and the rest are not served. */
export const SERVER_METADATA = { name: "proofgrid", version: "0.1.0", extensions: [] as string[] } as const;

/** Ready when this web process reaches its database: it can then take and place inference requests. */
export async function getServerReady(): Promise<{ ready: true }> {
  const health = await checkHealth();
  if (!health.ok) throw new AppError("UNAVAILABLE", "not ready: the database is unavailable", { retryAfterSeconds: 1 });
  return { ready: true };
}
