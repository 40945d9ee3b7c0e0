import { loadWorkerJobs } from "@proofgrid/db/nodes/worker-jobs";
import { sql } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { isNodeId } from "../market/ask-price.ts";
import { workerStakeSummaries } from "../verification/exposure.ts";
import { getNodeEarnings } from "./earnings-series.ts";

/** Recent jobs shown on a worker's page. */
const MAX_RECENT_JOBS = 50;

/**
 * One worker of a provider, with its recent jobs (what each earned it) and its stake.
 * Another provider's node answers NOT_FOUND, exactly like a missing one.
 */
export async function getWorker(opts: { orgId: string; nodeId: string }) {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "worker not found");
  const node = await db().node.findFirst({
    where: { id: opts.nodeId, orgId: opts.orgId, role: "worker", removedAt: null },
    select: {
      id: true,
      name: true,
      region: true,
      status: true,
      cuPerHour: true,
      claimedCuPerHour: true,
      admission: true,
      reputationScore: true,
      completedJobs: true,
      maxConcurrency: true,
      version: true,
      lastSeenAt: true,
      createdAt: true,
      quarantineReason: true,
      pausedAt: true,
      askPricePerCu: true,
    },
  });
  if (!node) throw new AppError("NOT_FOUND", "worker not found");
  const [stake, earnings, jobs] = await Promise.all([
    workerStakeSummaries(sql(), opts.orgId),
    getNodeEarnings({ orgId: opts.orgId, nodeIds: [node.id] }),
    loadWorkerJobs(sql(), { orgId: opts.orgId, nodeId: node.id, limit: MAX_RECENT_JOBS }),
  ]);
  return {
    ...node,
    lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
    pausedAt: node.pausedAt?.toISOString() ?? null,
    askPricePerCu: node.askPricePerCu === null ? null : node.askPricePerCu.toString(),
    createdAt: node.createdAt.toISOString(),
    earnings: (earnings.get(node.id) ?? 0n).toString(),
    stake: stake.get(node.id) ?? {
      bonded: "0",
      unbonding: "0",
      required: "0",
      sufficient: false,
      exposureUsed: "0",
      exposureLimit: "0",
      heldEarnings: "0",
      onAllowance: false,
    },
    recentJobs: jobs.map((j) => {
      const begun = j.started_at ?? j.assigned_at;
      return {
        id: j.id,
        model: j.model,
        state: j.state,
        finishedAt: j.finished_at?.toISOString() ?? null,
        durationMs: begun && j.finished_at ? j.finished_at.getTime() - begun.getTime() : null,
        // A payout settled since the earnings were held lives in held_earnings (held, released
        // or clawed back after a fraud); older ones were paid straight to the earnings account.
        earned: (j.held_state === null ? (j.earned ?? 0n) : j.held_state === "clawed" ? 0n : BigInt(j.held_amount ?? 0n)).toString(),
        earnings: j.held_state as "held" | "released" | "clawed" | null,
        releaseAt: j.release_at?.toISOString() ?? null,
      };
    }),
  };
}
export type WorkerDetail = Awaited<ReturnType<typeof getWorker>>;
