import { randomUUID } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as metricsRoute } from "~/app/api/metrics/route";
import { setupServiceDatabase } from "./testing/service-database.ts";

// /api/metrics: the operator's, behind a bearer token, and cheap — a scrape reads
// Postgres's statistics, never the jobs or nodes tables.

const TOKEN = "metrics-token-for-the-test-0123";

const db = setupServiceDatabase({ name: "metrics", env: { METRICS_TOKEN: TOKEN } });

beforeAll(async () => {
  const org = await db.t.prisma.organization.create({ data: { slug: "o", name: "o" }, select: { id: true } });
  await db.t.prisma.model.create({
    data: { id: "ab".repeat(32), slug: "m", name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
  });
  // 3 000 finished jobs and 40 queued, as a scrape would find a busy database.
  await sql().$executeRaw`
    INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state)
    SELECT gen_random_uuid(), ${org.id}::uuid, ${"ab".repeat(32)}, 1, 0, md5(g::text), 1,
           (CASE WHEN g <= 3000 THEN 'succeeded' ELSE 'queued' END)::"JobState"
    FROM generate_series(1, 3040) AS g`;
  await sql().$executeRaw`ANALYZE jobs`;
});
afterEach(() => {
  vi.restoreAllMocks();
});

const scrape = (headers: Record<string, string> = {}) => metricsRoute(new Request("http://127.0.0.1/api/metrics", { headers }));

describe("/api/metrics", () => {
  it("does not exist while METRICS_TOKEN is unset (the route answers 404)", async () => {
    const { metricsAccess } = await import("./metrics.ts");
    expect(metricsAccess(new Headers(), undefined)).toBe("disabled");
    expect(metricsAccess(new Headers({ authorization: "Bearer anything-at-all-here" }), undefined)).toBe("disabled");
  });

  it("refuses anonymous and wrong-token scrapes (401), and serves the holder of the token", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${randomUUID()}` })).status).toBe(401);
    const res = await scrape({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/proofgrid_jobs_estimated\{state="succeeded"\} 3000/);
    expect(text).toMatch(/proofgrid_jobs_estimated\{state="queued"\} 40/);
    expect(text).toMatch(/proofgrid_rows_estimated\{table="jobs"\} 3040/);
    expect(text).toMatch(/proofgrid_web_process_cpu_seconds_total/);
  });

  it("reads no large table in the scrape path: the catalog's statistics, and an exact count only of a table under 1 000 rows", async () => {
    const seen: string[] = [];
    const original = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const q = args[0];
      seen.push(typeof q === "string" ? q : String((q as { text?: unknown })?.text ?? ""));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original);
    // A fresh registry (as in a new process), so the first of these scrapes reads the statistics.
    (globalThis as { proofgridMetrics?: unknown }).proofgridMetrics = undefined;
    for (let i = 0; i < 30; i++) expect((await scrape({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const sqlSeen = seen.filter((q) => /\bselect\b/i.test(q));
    expect(sqlSeen.length).toBeGreaterThan(0);
    for (const q of sqlSeen) {
      // jobs (3 040 rows here) and checks are never read; the few nodes may be counted.
      expect(q).not.toMatch(/\bfrom\s+"?(jobs|checks)"?\b/i);
      if (/count\s*\(/i.test(q)) expect(q).toMatch(/\bfrom\s+nodes\b/i);
    }
    // Cached: 30 scrapes read the statistics at most twice (once, unless the cache expired).
    expect(sqlSeen.length).toBeLessThanOrEqual(4);
  });
});
