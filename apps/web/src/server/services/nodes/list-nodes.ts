import { sql } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { stakeStatus } from "../verification/stake.ts";

/** A provider's nodes with what they served. */
export async function listNodes(opts: { orgId: string }) {
  const nodes = await db().node.findMany({
    where: { orgId: opts.orgId },
    select: {
      id: true, name: true, role: true, region: true, status: true, cuPerHour: true, claimedCuPerHour: true,
      models: true, maxConcurrency: true, version: true, lastSeenAt: true, createdAt: true,
      admission: true, reputationScore: true, priorityFactor: true, completedJobs: true, lastCheckedAt: true, quarantineReason: true,
    },
    orderBy: { createdAt: "asc" },
    take: 1_000,
  });
  const served = await db().job.groupBy({
    by: ["nodeId"],
    where: { nodeId: { in: nodes.map((n) => n.id) }, state: "succeeded" },
    _count: { _all: true },
    _sum: { price: true },
  });
  const byNode = new Map(served.map((s) => [s.nodeId, s]));
  const stakes = await Promise.all(nodes.map((n) => stakeStatus(sql(), n.id, n.cuPerHour)));
  return nodes.map((n, i) => ({
    ...n,
    stake: { bonded: stakes[i]?.bonded.toString() ?? "0", unbonding: stakes[i]?.unbonding.toString() ?? "0", required: stakes[i]?.required.toString() ?? "0", sufficient: stakes[i]?.sufficient ?? false },
    jobsServed: byNode.get(n.id)?._count._all ?? 0,
    grossRevenue: (byNode.get(n.id)?._sum.price ?? 0n).toString(),
  }));
}
