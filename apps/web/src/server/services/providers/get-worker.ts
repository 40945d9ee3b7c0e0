import { sql } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { isNodeId } from "../market/ask-price.ts";
import { workerStakeSummaries } from "../verification/exposure.ts";
import { getNodeEarnings } from "./earnings-series.ts";
import { orgAccountCode } from "@proofgrid/db/ledger";

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
    sql().$queryRaw<
      {
        id: string;
        model: string;
        state: string;
        assigned_at: Date | null;
        started_at: Date | null;
        finished_at: Date | null;
        earned: bigint | null;
        held_state: string | null;
        held_amount: bigint | null;
        release_at: Date | null;
      }[]
    >`
      SELECT j.id::text AS id, m.slug AS model, j.state::text AS state, j.assigned_at, j.started_at, j.finished_at,
             (SELECT sum(e.amount) FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id
                JOIN ledger_accounts a ON a.id = e.account_id
               WHERE t.job_id = j.id AND a.code = ${orgAccountCode(opts.orgId, "earnings")})::bigint AS earned,
             h.state::text AS held_state, h.amount AS held_amount, h.release_at
      FROM jobs j JOIN models m ON m.id = j.model_id LEFT JOIN held_earnings h ON h.job_id = j.id
      WHERE j.node_id = ${node.id}::uuid
      ORDER BY j.created_at DESC
      LIMIT ${MAX_RECENT_JOBS}`,
  ]);
  return {
    ...node,
    lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
    pausedAt: node.pausedAt?.toISOString() ?? null,
    askPricePerCu: node.askPricePerCu === null ? null : node.askPricePerCu.toString(),
    createdAt: node.createdAt.toISOString(),
    earnings: (earnings.get(node.id) ?? 0n).toString(),
    stake: stake.get(node.id) ?? { bonded: "0", unbonding: "0", required: "0", sufficient: false, exposureUsed: "0", exposureLimit: "0", heldEarnings: "0", onAllowance: false },
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
