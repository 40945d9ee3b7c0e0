import { timingSafeEqual } from "node:crypto";
import { countJobsByState, countNodesByStatus, loadStateFrequencies, loadTableRowEstimates } from "@proofgrid/db/health/table-stats";
import { sql } from "@proofgrid/db/sql-client";
import client from "prom-client";

// One registry per process, cached across Next dev reloads.
//
// A scrape reads no table. Before, two count(*) ... GROUP BY scans of jobs and nodes ran on
// every scrape (30 scrapes: 704 ms on a small database, growing with every job ever run),
// for anyone who asked. Now:
// - events are counters kept in this process (jobs submitted, results accepted, leases and
//   their latency); Prometheus adds the replicas up (`sum(rate(...))`);
// - sizes come from Postgres's own statistics, which autovacuum's ANALYZE keeps fresh:
//   pg_class.reltuples (rows per table) times pg_stats.most_common_freqs (the share of each
//   state), labelled as estimates; read at most once per STATS_TTL_MS per replica. A table
//   the catalog puts under SMALL_TABLE_ROWS is counted exactly instead (statistics say nothing
//   of a value only one row holds): a bounded cost, whatever the history.
// The route answers only with the METRICS_TOKEN bearer token (apps/web/src/app/api/metrics).

const globalForMetrics = globalThis as unknown as { proofgridMetrics?: ReturnType<typeof createMetrics> };

const STATS_TTL_MS = 15_000;

/** Below this many rows (by the catalog's estimate) a table is counted exactly. */
const SMALL_TABLE_ROWS = 1_000;

interface TableStats {
  at: number;
  rows: Map<string, number>;
  /** table → state → estimated rows */
  byState: Map<string, Map<string, number>>;
}

/** Row estimates per table and per value of its `status`/`state` column, from the catalog. */
async function readTableStats(): Promise<Omit<TableStats, "at">> {
  const rows = await loadTableRowEstimates(sql());
  const freqs = await loadStateFrequencies(sql());
  const total = new Map(rows.map((r) => [r.relname, Math.max(0, r.reltuples)]));
  const byState = new Map<string, Map<string, number>>();
  for (const f of freqs) {
    const n = total.get(f.tablename) ?? 0;
    const m = new Map<string, number>();
    for (const [i, v] of (f.vals ?? []).entries()) m.set(v, Math.round(n * (f.freqs?.[i] ?? 0)));
    byState.set(f.tablename, m);
  }
  // A small table has no useful column statistics (a value held by one row is not a "most
  // common value", so one online node showed as none): count it exactly, which costs little
  // below SMALL_TABLE_ROWS. Large tables keep the estimates, so a scrape never scans them.
  const reltuples = new Map(rows.map((r) => [r.relname, r.reltuples]));
  const small = (t: string) => (reltuples.get(t) ?? -1) < SMALL_TABLE_ROWS;
  if (small("nodes")) {
    const counts = await countNodesByStatus(sql());
    byState.set("nodes", new Map(counts.map((c) => [c.v, c.n])));
    total.set(
      "nodes",
      counts.reduce((a, c) => a + c.n, 0),
    );
  }
  if (small("jobs")) {
    const counts = await countJobsByState(sql());
    byState.set("jobs", new Map(counts.map((c) => [c.v, c.n])));
    total.set(
      "jobs",
      counts.reduce((a, c) => a + c.n, 0),
    );
  }
  return { rows: total, byState };
}

function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "proofgrid_web_" });
  const leaseLatency = new client.Histogram({
    name: "proofgrid_lease_latency_seconds",
    help: "Time from job submission to its lease by a worker (this replica's leases)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const jobsSubmitted = new client.Counter({
    name: "proofgrid_jobs_submitted_total",
    help: "Jobs submitted through this replica",
    registers: [registry],
  });
  const resultsAccepted = new client.Counter({
    name: "proofgrid_job_results_total",
    help: "Worker completions answered by this replica, by outcome (accepted, refused)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const nodeSessions = new client.Gauge({
    name: "proofgrid_node_sessions_open",
    help: "Node sessions (one WebSocket per worker or checker) open on this replica",
    registers: [registry],
  });
  const sessionFrames = new client.Counter({
    name: "proofgrid_node_session_frames_total",
    help: "Node-protocol requests served on node sessions by this replica, by outcome (served, refused: a bad signature or a replay)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const completionGroups = new client.Histogram({
    name: "proofgrid_completion_group_size",
    help: "Completions settled per group commit (one transaction, one COMMIT) on this replica",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  let stats: TableStats | undefined;
  let pending: Promise<TableStats> | undefined;
  async function tableStats(): Promise<TableStats> {
    if (stats && Date.now() - stats.at < STATS_TTL_MS) return stats;
    pending ??= readTableStats()
      .then((s) => {
        stats = { ...s, at: Date.now() };
        return stats;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }
  new client.Gauge({
    name: "proofgrid_rows_estimated",
    help: "Rows per table, estimated from pg_class.reltuples (no scan)",
    labelNames: ["table"],
    registers: [registry],
    async collect() {
      const s = await tableStats();
      this.reset();
      for (const [table, n] of s.rows) this.set({ table }, n);
    },
  });
  new client.Gauge({
    name: "proofgrid_jobs_estimated",
    help: "Jobs by state, estimated from Postgres's column statistics (no scan)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const s = await tableStats();
      this.reset();
      for (const [state, n] of s.byState.get("jobs") ?? []) this.set({ state }, n);
    },
  });
  new client.Gauge({
    name: "proofgrid_nodes_estimated",
    help: "Nodes by status, estimated from Postgres's column statistics (no scan)",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const s = await tableStats();
      this.reset();
      for (const [status, n] of s.byState.get("nodes") ?? []) this.set({ status }, n);
    },
  });
  return { registry, leaseLatency, jobsSubmitted, resultsAccepted, nodeSessions, sessionFrames, completionGroups };
}

export function metrics() {
  globalForMetrics.proofgridMetrics ??= createMetrics();
  return globalForMetrics.proofgridMetrics;
}

export function observeLeaseLatency(ms: number): void {
  metrics().leaseLatency.observe(ms / 1000);
}

export function observeCompletionGroup(size: number): void {
  metrics().completionGroups.observe(size);
}

export function countJobSubmitted(): void {
  metrics().jobsSubmitted.inc();
}

export function setNodeSessionsOpen(n: number): void {
  metrics().nodeSessions.set(n);
}

export function countSessionFrame(outcome: "served" | "refused"): void {
  metrics().sessionFrames.inc({ outcome });
}

export function countJobResult(outcome: "accepted" | "refused"): void {
  metrics().resultsAccepted.inc({ outcome });
}

/**
 * Whether a scrape may read the metrics: only with `Authorization: Bearer <METRICS_TOKEN>`.
 * Unset, the route does not exist (404): runtime details, job and node numbers are the
 * operator's business, not the public's.
 */
export function metricsAccess(headers: Headers, token: string | undefined): "ok" | "unauthorized" | "disabled" {
  if (!token) return "disabled";
  const auth = headers.get("authorization") ?? "";
  const given = Buffer.from(auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? "ok" : "unauthorized";
}
