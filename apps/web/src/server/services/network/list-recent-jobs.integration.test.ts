import { sql } from "@proofgrid/db/sql-client";
import { beforeAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { listRecentActivity } from "./list-recent-jobs.ts";

// The public activity feed against a real Postgres: a job that finished moments ago is not
// in it, challenges are counted exactly like customer jobs, and no id leaves it. Before
// issue 12 the feed listed each running customer job with a millisecond createdAt and left
// challenges out, so a worker polling it after a lease could tell which kind it held.

const NOW = new Date("2026-12-05T10:00:30.000Z");
const ids: string[] = [];

const db = setupServiceDatabase({ name: "activity", env: { PUBLIC_FEED_BUCKET_MS: "60000", PUBLIC_FEED_DELAY_MS: "120000" } });

beforeAll(async () => {
  const org = await db.t.prisma.organization.create({ data: { slug: "acme", name: "acme" }, select: { id: true } });
  const protocol = await db.t.prisma.organization.create({ data: { slug: "protocol-x", name: "protocol" }, select: { id: true } });
  await db.t.prisma.model.create({
    data: { id: "m".repeat(64), slug: "vad-silero-v5", name: "VAD", kind: "vad", description: "", signature: {}, baseCostMilliCu: 10 },
  });
  const node = await db.t.prisma.node.create({
    data: { orgId: org.id, name: "w", publicKey: "k", region: "ca-montreal", status: "online" },
    select: { id: true },
  });
  // finishedSecondsBefore NOW, purpose
  const jobs: [number, "customer" | "challenge"][] = [
    [200, "customer"], // 09:57:10 → bucket 09:57, shown (closed 09:58, + 2 min = 10:00)
    [195, "challenge"], // same bucket
    [140, "customer"], // 09:58:10 → bucket 09:58 closes 09:59, shown only from 10:01
    [5, "challenge"], // just now
  ];
  for (const [ago, purpose] of jobs) {
    const finished = new Date(NOW.getTime() - ago * 1000);
    const rows = await sql().$queryRaw<{ id: string }[]>`
      INSERT INTO jobs (id, org_id, model_id, state, node_id, cost_milli_cu, price, input_hash, input_bytes, purpose, created_at, started_at, finished_at)
      VALUES (gen_random_uuid(), ${purpose === "customer" ? org.id : protocol.id}::uuid, ${"m".repeat(64)}, 'succeeded', ${node.id}::uuid, 10, 1, 'h', 1,
              ${purpose}::"JobPurpose", ${new Date(finished.getTime() - 400)}, ${new Date(finished.getTime() - 300)}, ${finished})
      RETURNING id`;
    ids.push(rows[0]?.id as string);
  }
});

describe("listRecentActivity", () => {
  it("counts every purpose alike, per minute, model and region, and only minutes closed two minutes ago", async () => {
    const { activity, bucketMs, delayMs } = await listRecentActivity({ limit: 50, now: NOW });
    expect({ bucketMs, delayMs }).toEqual({ bucketMs: 60_000, delayMs: 120_000 });
    expect(activity).toEqual([
      { bucket: "2026-12-05T09:57:00.000Z", model: "vad-silero-v5", region: "ca-montreal", jobs: 2, succeeded: 2, medianDurationMs: 300 },
    ]);
    // A minute later the 09:58 bucket is out; the job that finished at 10:00:25 is still not.
    const later = await listRecentActivity({ limit: 50, now: new Date(NOW.getTime() + 60_000) });
    expect(later.activity.map((a) => [a.bucket, a.jobs])).toEqual([
      ["2026-12-05T09:58:00.000Z", 1],
      ["2026-12-05T09:57:00.000Z", 2],
    ]);
    expect(JSON.stringify(later)).not.toMatch(new RegExp(ids.join("|")));
  });
});
