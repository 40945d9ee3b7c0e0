import { renewLease } from "@proofgrid/db/jobs";
import { z } from "zod";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

export const ZHeartbeatRequest = z.object({
  leases: z.array(z.object({ jobId: z.uuid(), attempt: z.number().int().min(1).max(1_000) })).max(64),
  /** Models resident in the worker's memory (sha256 ids): the indexer's warm-cache term. */
  loadedModels: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(256).optional(),
});

const loadedWritten = new Map<string, string>();
export type THeartbeatRequest = z.infer<typeof ZHeartbeatRequest>;

/** Renews each lease the node still holds; `ok: false` tells the worker to abandon that job. */
export async function heartbeat(opts: { node: NodeIdentity; request: THeartbeatRequest }) {
  const leaseMs = getEnv().LEASE_DURATION_MS;
  if (opts.request.loadedModels) {
    const models = opts.request.loadedModels.filter((m) => opts.node.models.includes(m)).sort();
    const key = models.join(",");
    if (loadedWritten.get(opts.node.id) !== key) {
      await sql().$executeRaw`UPDATE nodes SET loaded_models = ${models}::text[] WHERE id = ${opts.node.id}::uuid`;
      loadedWritten.set(opts.node.id, key);
    }
  }
  const leases = [];
  for (const l of opts.request.leases) {
    const until = await renewLease(sql(), { jobId: l.jobId, nodeId: opts.node.id, attempt: l.attempt, leaseMs });
    leases.push({ jobId: l.jobId, attempt: l.attempt, ok: until !== null, leaseExpiresAt: until?.toISOString() ?? null });
  }
  return { leases, status: opts.node.status };
}
