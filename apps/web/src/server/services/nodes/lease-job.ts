import { type ClaimedJob, claimJob } from "@proofgrid/db/jobs";
import { LRUCache } from "lru-cache";
import { isCustomModelSlug, type LeasedJob } from "@proofgrid/por";
import { sql } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { jobEvents } from "../../events/job-events.ts";
import { observeLeaseLatency } from "../../metrics.ts";
import type { NodeIdentity } from "./authenticate-node.ts";
import { failJob } from "./fail-job.ts";
import { type IdleWait, waitIdle } from "./idle-lessees.ts";
import { nodeLeaseStanding } from "../verification/exposure.ts";
import { loadCustomModelRun } from "../models/custom-model-run.ts";

/**
 * What this lease may claim. Challenges pinned to the node always (a new node's registration
 * check runs before it has any stake, and a quarantined node's checks are its way back).
 * Customer jobs only while the node is not quarantined, has no open dispute, and holds no
 * more than its exposure limit allows (and `offered`: whether any job is offered to it) — the dispatcher offers none past the limit; this is
 * the backstop, for a stake unbonded or a fraud between the offer and the lease (the offer
 * then lapses and the job goes to another worker).
 */
async function leaseGate(node: NodeIdentity): Promise<{ pinnedOnly: boolean; offered: boolean }> {
  if (node.status === "quarantined") return { pinnedOnly: true, offered: true };
  const standing = await nodeLeaseStanding(sql(), node);
  return { pinnedOnly: standing.openDispute || standing.overLimit, offered: standing.offered };
}

// One entry per model leased: the catalog's, and uploaded ones (issue 17) that customers can
// add without end, hence the bound. A slug never changes for an id.
const slugCache = new LRUCache<string, string>({ max: 10_000 });

async function modelSlug(id: string): Promise<string> {
  const hit = slugCache.get(id);
  if (hit) return hit;
  const m = await db().model.findUnique({ where: { id }, select: { slug: true } });
  if (!m) throw new Error(`model ${id} vanished`);
  slugCache.set(id, m.slug);
  return m.slug;
}

/**
 * Long-poll lease: claim a job the indexer assigned to this node at once, or wait for a
 * `proofgrid_jobs` NOTIFY (a job was assigned to it), re-checking at the polling-fallback period in case a wake-up
 * was missed. While it waits, the dispatcher leading in this process may lease it a job
 * directly (idle-lessees.ts). Returns null when the wait ends with nothing to run.
 */
export async function leaseJob(opts: { node: NodeIdentity; waitMs: number; signal?: AbortSignal }): Promise<LeasedJob | null> {
  const env = getEnv();
  if (opts.node.role !== "worker") throw new AppError("FORBIDDEN", "only worker nodes lease jobs");
  // A quarantined node gets only the challenges pinned to it (its way back, if it passes
  // them); a node proven fraudulent or refused at registration gets those too, so its
  // record is kept honest, but never a customer's job.
  const deadline = Date.now() + Math.min(opts.waitMs, env.LEASE_LONG_POLL_MAX_MS);
  for (;;) {
    // Listening before the claim: an assignment made while it runs wakes the wait below.
    const assigned = jobEvents.arm({ on: { nodeId: opts.node.id }, filter: (e) => e.state === "assigned", signal: opts.signal });
    let idle: IdleWait | undefined;
    try {
      const tried = await tryLease(opts.node, opts.signal);
      if (tried.job !== undefined) return tried.job;
      const left = deadline - Date.now();
      if (left <= 0 || opts.signal?.aborted) return null;
      // Idle: the dispatcher (leading in this process) may lease a job straight to this wait.
      const waitMs = Math.min(left, env.JOB_POLL_FALLBACK_MS);
      idle = waitIdle(opts.node, tried.pinnedOnly, { until: Date.now() + waitMs, signal: opts.signal });
      await Promise.race([assigned.wait(waitMs), idle.handed]);
      if (!idle.leave()) {
        // Taken: the dispatcher's statement is running; its answer comes with it.
        const job = await idle.handed;
        if (job) return await leased(opts.node, job, opts.signal);
      }
    } finally {
      assigned.cancel();
      idle?.leave();
    }
  }
}

/**
 * One claim: the job leased (null when the caller hung up meanwhile), or undefined when there
 * was none, with the lease gate's answer.
 */
async function tryLease(
  node: NodeIdentity,
  signal: AbortSignal | undefined,
): Promise<{ job: LeasedJob | null | undefined; pinnedOnly: boolean }> {
  const env = getEnv();
  // The indexer (services/dispatch) has already chosen this node for the jobs it may claim;
  // the penalty ladder's allocation probability is applied there.
  const { pinnedOnly, offered } = await leaseGate(node);
  // Nothing offered to it (a lease's first look, most often): no claim to try. An offer made
  // since the gate's read wakes the long-poll, armed before it (leaseJob).
  if (!offered) return { job: undefined, pinnedOnly };
  const job = await claimJob(sql(), {
    nodeId: node.id,
    modelIds: node.models,
    acceptsCustomModels: node.acceptsCustomModels,
    leaseMs: env.LEASE_DURATION_MS,
    pinnedOnly,
  });
  return { job: job ? await leased(node, job, signal) : undefined, pinnedOnly };
}

/** Releases a job leased to this long-poll that it will not answer with: queued again, its attempt closed as released. */
function handBack(node: NodeIdentity, job: ClaimedJob) {
  return failJob({ node, request: { jobId: job.id, attempt: job.attempt, kind: "release", retryable: true, error: "" } });
}

/** The lease reply for a job claimed for this long-poll (by its claim or by the dispatcher); null when the caller hung up meanwhile. */
async function leased(node: NodeIdentity, job: ClaimedJob, signal: AbortSignal | undefined): Promise<LeasedJob | null> {
  const env = getEnv();
  if (signal?.aborted) {
    // The worker hung up (shutting down) while we claimed: hand the job straight back
    // instead of leaving it to wait out a lease nobody holds.
    await handBack(node, job);
    return null;
  }
  observeLeaseLatency(Date.now() - job.createdAt.getTime());
  let slug: string;
  let custom: Awaited<ReturnType<typeof loadCustomModelRun>> | null;
  try {
    slug = await modelSlug(job.modelId);
    // An uploaded model (issue 17): the worker fetches the file by its id and needs the
    // signature, size and determinism flag the file does not carry.
    custom = isCustomModelSlug(slug) ? await loadCustomModelRun(job.modelId) : null;
  } catch (err) {
    // Leased but not answerable: handed back now rather than left to wait out its lease.
    await handBack(node, job).catch(() => {});
    throw err;
  }
  return {
    jobId: job.id,
    attempt: job.attempt,
    modelId: job.modelId,
    modelSlug: slug,
    input: job.input,
    leaseExpiresAt: job.leaseExpiresAt.toISOString(),
    leaseMs: env.LEASE_DURATION_MS,
    ...(custom ? { custom } : {}),
  };
}
