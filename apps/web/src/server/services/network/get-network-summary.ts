import { countFinishedPerMinute, countJobsByState, countWorkers } from "@proofgrid/db/network/network-summary";
import { db } from "../../db.ts";

export interface NetworkSummary {
  nodesOnline: number;
  nodesTotal: number;
  cuPerHourOnline: number;
  jobsByState: Record<string, number>;
  /** Jobs finished per minute over the last 30 minutes, oldest first. */
  perMinute: { minute: string; succeeded: number; failed: number }[];
  models: { slug: string; name: string; synthetic: boolean }[];
}

/** Public, anonymised numbers for the landing page: no organisation or job ids. */
export async function getNetworkSummary(): Promise<NetworkSummary> {
  const [n, states, minutes, models] = await Promise.all([
    countWorkers(db()),
    countJobsByState(db()),
    countFinishedPerMinute(db()),
    db().model.findMany({
      select: { slug: true, name: true, synthetic: true },
      where: { builtIn: true },
      orderBy: { slug: "asc" },
      take: 50,
    }),
  ]);
  return {
    nodesOnline: Number(n?.online ?? 0),
    nodesTotal: Number(n?.total ?? 0),
    cuPerHourOnline: Number(n?.cu ?? 0),
    jobsByState: Object.fromEntries(states.map((s) => [s.state, Number(s.n)])),
    perMinute: minutes.map((m) => ({ minute: m.minute.toISOString(), succeeded: Number(m.succeeded), failed: Number(m.failed) })),
    models,
  };
}
