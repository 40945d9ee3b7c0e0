import { renewLease } from "@proofgrid/db/jobs";
import { z } from "zod";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

export const ZHeartbeatRequest = z.object({
  leases: z.array(z.object({ jobId: z.uuid(), attempt: z.number().int().min(1).max(1_000) })).max(64),
});
export type THeartbeatRequest = z.infer<typeof ZHeartbeatRequest>;

/** Renews each lease the node still holds; `ok: false` tells the worker to abandon that job. */
export async function heartbeat(opts: { node: NodeIdentity; request: THeartbeatRequest }) {
  const leaseMs = getEnv().LEASE_DURATION_MS;
  const leases = [];
  for (const l of opts.request.leases) {
    const until = await renewLease(sql(), { jobId: l.jobId, nodeId: opts.node.id, attempt: l.attempt, leaseMs });
    leases.push({ jobId: l.jobId, attempt: l.attempt, ok: until !== null, leaseExpiresAt: until?.toISOString() ?? null });
  }
  return { leases, status: opts.node.status };
}
