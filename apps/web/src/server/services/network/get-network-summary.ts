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
  const [nodes, states, minutes, models] = await Promise.all([
    db().$queryRaw<{ online: bigint; total: bigint; cu: bigint | null }[]>`
      SELECT count(*) FILTER (WHERE status = 'online') AS online, count(*) AS total,
             sum(cu_per_hour) FILTER (WHERE status = 'online') AS cu
      FROM nodes WHERE role = 'worker'`,
    db().$queryRaw<{ state: string; n: bigint }[]>`SELECT state::text AS state, count(*) AS n FROM jobs GROUP BY state`,
    db().$queryRaw<{ minute: Date; succeeded: bigint; failed: bigint }[]>`
      SELECT m AS minute,
             count(j.id) FILTER (WHERE j.state = 'succeeded') AS succeeded,
             count(j.id) FILTER (WHERE j.state IN ('failed', 'expired')) AS failed
      FROM generate_series(date_trunc('minute', now()) - interval '29 minutes', date_trunc('minute', now()), interval '1 minute') AS m
      LEFT JOIN jobs j ON date_trunc('minute', j.finished_at) = m
      GROUP BY m ORDER BY m`,
    db().model.findMany({
      select: { slug: true, name: true, synthetic: true },
      where: { builtIn: true },
      orderBy: { slug: "asc" },
      take: 50,
    }),
  ]);
  const n = nodes[0];
  return {
    nodesOnline: Number(n?.online ?? 0),
    nodesTotal: Number(n?.total ?? 0),
    cuPerHourOnline: Number(n?.cu ?? 0),
    jobsByState: Object.fromEntries(states.map((s) => [s.state, Number(s.n)])),
    perMinute: minutes.map((m) => ({ minute: m.minute.toISOString(), succeeded: Number(m.succeeded), failed: Number(m.failed) })),
    models,
  };
}
