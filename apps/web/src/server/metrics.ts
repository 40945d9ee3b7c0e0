import client from "prom-client";
import { db } from "./db.ts";

// One registry per process, cached across Next dev reloads. Gauges that describe the
// whole network (jobs by state, nodes online) are read from Postgres at scrape time, so
// every web replica reports the same numbers; lease latency is this replica's own.
const globalForMetrics = globalThis as unknown as { proofgridMetrics?: ReturnType<typeof createMetrics> };

function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "proofgrid_web_" });
  const leaseLatency = new client.Histogram({
    name: "proofgrid_lease_latency_seconds",
    help: "Time from job submission to its lease by a worker",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new client.Gauge({
    name: "proofgrid_jobs",
    help: "Jobs by state",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const rows = await db().$queryRaw<{ state: string; n: bigint }[]>`
        SELECT state::text AS state, count(*)::bigint AS n FROM jobs GROUP BY state`;
      this.reset();
      for (const r of rows) this.set({ state: r.state }, Number(r.n));
    },
  });
  new client.Gauge({
    name: "proofgrid_nodes",
    help: "Nodes by role and status",
    labelNames: ["role", "status"],
    registers: [registry],
    async collect() {
      const rows = await db().$queryRaw<{ role: string; status: string; n: bigint }[]>`
        SELECT role::text AS role, status::text AS status, count(*)::bigint AS n FROM nodes GROUP BY role, status`;
      this.reset();
      for (const r of rows) this.set({ role: r.role, status: r.status }, Number(r.n));
    },
  });
  return { registry, leaseLatency };
}

export function metrics() {
  globalForMetrics.proofgridMetrics ??= createMetrics();
  return globalForMetrics.proofgridMetrics;
}

export function observeLeaseLatency(ms: number): void {
  metrics().leaseLatency.observe(ms / 1000);
}
