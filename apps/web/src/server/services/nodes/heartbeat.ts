import { renewLease } from "@proofgrid/db/jobs";
import { LRUCache } from "lru-cache";
import type { HeartbeatReply, HeartbeatRequest } from "@proofgrid/por";
import { updateAcceptsCustomModels, updateLoadedModels, updateMachineLoad } from "@proofgrid/db/nodes/node-load";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

/** Below this share of CPU used by others, the machine counts as idle for a capability check. */
export const IDLE_MACHINE_BELOW = 0.2;
/**
 * Nodes whose last written load and loaded models are remembered: the network size the
 * indexer is built for. Past it the least recently heard-from node is forgotten, and its
 * next heartbeat writes again. Registering nodes without end cannot grow the memory.
 */
const MAX_REMEMBERED_NODES = 100_000;
// No ttl: a write is skipped only while the value is unchanged, however old it is.
const loadWritten = new LRUCache<string, { busy: number; idle: boolean }>({ max: MAX_REMEMBERED_NODES });
const loadedWritten = new LRUCache<string, string>({ max: MAX_REMEMBERED_NODES });

/** Renews each lease the node still holds; `ok: false` tells the worker to abandon that job. */
export async function heartbeat(opts: { node: NodeIdentity; request: HeartbeatRequest }): Promise<HeartbeatReply> {
  const leaseMs = getEnv().LEASE_DURATION_MS;
  if (opts.request.loadedModels) {
    // Catalog models it registered with; uploaded models (issue 17) it has cached only if it runs them.
    const models = opts.request.loadedModels.filter((m) => opts.node.models.includes(m) || opts.node.acceptsCustomModels).sort();
    const key = models.join(",");
    if (loadedWritten.get(opts.node.id) !== key) {
      await updateLoadedModels(sql(), { nodeId: opts.node.id, models });
      loadedWritten.set(opts.node.id, key);
    }
  }
  if (opts.request.machineBusy !== undefined) await recordMachineLoad(opts.node.id, opts.request.machineBusy);
  // The node's identity is read fresh on every signed request, so this writes only on a change
  // (a restart with ACCEPT_CUSTOM_MODELS turned on or off); the next lease already follows it.
  const accepts = opts.request.acceptsCustomModels;
  if (accepts !== undefined && accepts !== opts.node.acceptsCustomModels) {
    await updateAcceptsCustomModels(sql(), { nodeId: opts.node.id, accepts });
    opts.node.acceptsCustomModels = accepts;
  }
  const leases: HeartbeatReply["leases"] = [];
  for (const l of opts.request.leases) {
    const until = await renewLease(sql(), { jobId: l.jobId, nodeId: opts.node.id, attempt: l.attempt, leaseMs });
    leases.push({ jobId: l.jobId, attempt: l.attempt, ok: until !== null, leaseExpiresAt: until?.toISOString() ?? null });
  }
  return { leases, status: opts.node.status };
}

/**
 * Keeps nodes.machine_busy and idle_since (since when the machine has stayed idle) for the
 * registration check's scheduler. Written when the idle state flips or the share moves by
 * 0.05, not on every heartbeat.
 */
async function recordMachineLoad(nodeId: string, busy: number): Promise<void> {
  const idle = busy < IDLE_MACHINE_BELOW;
  const last = loadWritten.get(nodeId);
  if (last && last.idle === idle && Math.abs(last.busy - busy) < 0.05) return;
  await updateMachineLoad(sql(), { nodeId, busy, idle });
  loadWritten.set(nodeId, { busy, idle });
}
