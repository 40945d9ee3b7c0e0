/** Where the per-job overhead goes: submit, dispatch, worker round trip, result delivery. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import { createPrismaClient } from "@proofgrid/db/client";
import { syntheticWav } from "../apps/worker/src/bench/bench-inputs.ts";
import { ensureWebBuild } from "../scripts/lib/processes.ts";
import { api, startStack } from "../tests/support/stack.ts";
import { median, progress, report } from "./report.ts";

ensureWebBuild(progress);
const dir = mkdtempSync(join(tmpdir(), "proofgrid-prof-"));
const pg = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), settings: { fsync: "off" } });
const url = await createDatabase(pg.url, "prof");
await migrate({ url });
const stack = await startStack({ database: { url, drop: async () => {} }, leaseMs: 15_000, env: { LOG_LEVEL: "warn" } });
await stack.addWorker("w1", { LOG_LEVEL: "warn" });
const prisma = createPrismaClient(url, { maxConnections: 1 });
const input = { audio: syntheticWav(0.5).toString("base64") };
const parts = {
  submit: [] as number[],
  dispatch: [] as number[],
  worker: [] as number[],
  deliver: [] as number[],
  total: [] as number[],
  inference: [] as number[],
};
for (let i = 0; i < 40; i++) {
  const t0 = Date.now();
  const sub = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: "vad-silero-v5", input } });
  const t1 = Date.now();
  const done = await api<{ receipt: { inferenceMs: number } }>(stack, `/api/v1/jobs/${sub.body.id}?wait=30000`);
  const t2 = Date.now();
  const [row] = await prisma.$queryRaw<{ created: Date; leased: Date; finished: Date }[]>`
    SELECT j.created_at AS created, a.leased_at AS leased, j.finished_at AS finished FROM jobs j JOIN job_attempts a ON a.job_id = j.id WHERE j.id = ${sub.body.id}::uuid`;
  if (i < 5 || !row) continue;
  parts.submit.push(t1 - t0);
  parts.dispatch.push(row.leased.getTime() - row.created.getTime());
  parts.worker.push(row.finished.getTime() - row.leased.getTime());
  parts.deliver.push(t2 - row.finished.getTime());
  parts.total.push(t2 - t0);
  parts.inference.push(done.body.receipt.inferenceMs);
}
for (const [k, v] of Object.entries(parts)) report({ name: `overhead_${k}_p50`, value: median(v), unit: "ms" });
await prisma.$disconnect();
await stack.stop();
await pg.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
