import { pingDatabase } from "@proofgrid/db/health/ping";
import { sql } from "@proofgrid/db/sql-client";

/**
 * Whether this web process can serve: its database answers. A load balancer or `npm start`
 * waits for ok; a database that is down is a 503 with the reason, not a 500 with a stack.
 */
export async function checkHealth(): Promise<{ ok: boolean; database: "up" | "down" }> {
  try {
    await pingDatabase(sql());
    return { ok: true, database: "up" };
  } catch {
    return { ok: false, database: "down" };
  }
}
