import { sql } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { workerStakeSummaries } from "../verification/exposure.ts";
import { stakeStatus } from "../verification/stake.ts";

/** A provider's nodes with what they served. */
export async function listNodes(opts: { orgId: string }) {
  const nodes = await db().node.findMany({
    where: { orgId: opts.orgId, removedAt: null },
    select: {
      id: true,
      name: true,
      role: true,
      region: true,
      status: true,
      cuPerHour: true,
      claimedCuPerHour: true,
      models: true,
      maxConcurrency: true,
      version: true,
      lastSeenAt: true,
      createdAt: true,
      admission: true,
      reputationScore: true,
      priorityFactor: true,
      completedJobs: true,
      lastCheckedAt: true,
      quarantineReason: true,
    },
    orderBy: { createdAt: "asc" },
    take: 1_000,
  });
  const served = await db().job.groupBy({
    by: ["nodeId"],
    where: { nodeId: { in: nodes.map((n) => n.id) }, state: "succeeded" },
    _count: { _all: true },
    _sum: { price: true, royalty: true },
  });
  const byNode = new Map(served.map((s) => [s.nodeId, s]));
  // Workers: stake against the value of the jobs they hold (exposure); checkers: their minimum.
  const workers = await workerStakeSummaries(sql(), opts.orgId);
  const checkers = await Promise.all(nodes.map((n) => (n.role === "checker" ? stakeStatus(sql(), n.id, n.cuPerHour) : null)));
  const none = { exposureUsed: "0", exposureLimit: "0", heldEarnings: "0", onAllowance: false };
  return nodes.map((n, i) => ({
    ...n,
    stake: workers.get(n.id) ?? {
      bonded: checkers[i]?.bonded.toString() ?? "0",
      unbonding: checkers[i]?.unbonding.toString() ?? "0",
      required: checkers[i]?.required.toString() ?? "0",
      sufficient: checkers[i]?.sufficient ?? false,
      ...none,
    },
    jobsServed: byNode.get(n.id)?._count._all ?? 0,
    // What its customers paid for the compute: an uploaded model's royalty went to the model's owner.
    grossRevenue: ((byNode.get(n.id)?._sum.price ?? 0n) - (byNode.get(n.id)?._sum.royalty ?? 0n)).toString(),
  }));
}
