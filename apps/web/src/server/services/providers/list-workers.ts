import { listNodes } from "../nodes/list-nodes.ts";
import { getNodeEarnings } from "./earnings-series.ts";

/** The provider portal's workers table: each worker with what it served and earned. */
export async function listWorkers(opts: { orgId: string }) {
  const nodes = (await listNodes({ orgId: opts.orgId })).filter((n) => n.role === "worker");
  const earnings = await getNodeEarnings({ orgId: opts.orgId, nodeIds: nodes.map((n) => n.id) });
  return nodes.map((n) => ({
    id: n.id,
    name: n.name,
    status: n.status,
    region: n.region,
    cuPerHour: n.cuPerHour,
    claimedCuPerHour: n.claimedCuPerHour,
    admission: n.admission,
    reputationScore: n.reputationScore,
    jobsServed: n.jobsServed,
    earnings: (earnings.get(n.id) ?? 0n).toString(),
    stake: n.stake,
    lastSeenAt: n.lastSeenAt?.toISOString() ?? null,
  }));
}
export type WorkerRow = Awaited<ReturnType<typeof listWorkers>>[number];
