import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { TRPCError } from "@trpc/server";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { grantCredits } from "../../services/billing/grant-credits.ts";
import { exportUsageCsv, USAGE_CSV_COLUMNS } from "../../services/usage/export-usage-csv.ts";
import { getUsageOverview } from "../../services/usage/get-usage-overview.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { ORG_HEADER } from "../org-header.ts";
import { createCaller } from "../root.ts";
import { signUp as signUpConfirmed } from "../test-callers.ts";
import { createTRPCContext } from "../trpc.ts";

// The usage overview and the CSV export on hand-made jobs and ledger transfers with known
// times: each bucket's counts, percentiles and spend are worked out by hand below, and
// another organisation's jobs, in the same hours, must never show.

const db = setupServiceDatabase({ name: "usage" });
const HOST = "127.0.0.1:3998";
const HOUR = 3_600_000;
const MIN = 60_000;
/** Pinned for the service calls; the procedure calls run on the real clock a moment later. */
const NOW = Date.now();
/** Start of the hour that holds NOW: the 24 h window's last bucket (index 23). */
const H = Math.floor(NOW / HOUR) * HOUR;

const signUp = (email: string) => signUpConfirmed(email, HOST);

async function as(cookie: string | null, extra: Record<string, string> = {}) {
  const headers = new Headers({ host: HOST, ...extra });
  if (cookie) headers.set("cookie", cookie);
  return createCaller(await createTRPCContext({ headers }));
}

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return (err as TRPCError).code;
}

let modelId: string;
let nodeId: string;

/**
 * A job as the platform leaves it: held on submit, then settled at `charge` (the rest of the
 * hold returned in the same transfer) or released. Each transfer is dated when the job
 * finished: transfers are append-only, so the test moves them with triggers off
 * (session_replication_role), which only a superuser's test database allows.
 */
async function job(
  orgId: string,
  o: {
    state: "succeeded" | "failed" | "expired" | "canceled" | "queued";
    finishedAt?: number;
    ttrMs?: number;
    held?: bigint;
    charge?: bigint;
  },
): Promise<string> {
  const held = o.held ?? 1_000n;
  const finishedAt = o.finishedAt === undefined ? null : new Date(o.finishedAt);
  const createdAt = finishedAt ? new Date(finishedAt.getTime() - (o.ttrMs ?? 50)) : new Date();
  const row = await db.t.prisma.job.create({
    data: {
      orgId,
      modelId,
      state: o.state,
      costMilliCu: 1_500,
      price: o.state === "succeeded" ? (o.charge ?? held) : held,
      inputHash: "h",
      inputBytes: 1,
      nodeId: o.state === "queued" ? null : nodeId,
      createdAt,
      finishedAt,
    },
    select: { id: true },
  });
  await sqlTransaction(async (tx) => {
    const available = orgAccountCode(orgId, "available");
    const heldCode = orgAccountCode(orgId, "held");
    await postTransfer(tx, {
      idempotencyKey: `hold:${row.id}`,
      kind: "hold",
      jobId: row.id,
      legs: [
        { code: available, amount: -held },
        { code: heldCode, amount: held },
      ],
    });
    if (o.state === "queued") return;
    if (o.state === "succeeded") {
      const charge = o.charge ?? held;
      await postTransfer(tx, {
        idempotencyKey: `settle:${row.id}`,
        kind: "settle",
        jobId: row.id,
        legs: [
          { code: heldCode, amount: -held },
          { code: available, amount: held - charge },
          { code: SYSTEM_ACCOUNTS.protocolFee.code, amount: charge },
        ].filter((l) => l.amount !== 0n),
      });
    } else {
      await postTransfer(tx, {
        idempotencyKey: `release:${row.id}`,
        kind: "release",
        jobId: row.id,
        legs: [
          { code: heldCode, amount: -held },
          { code: available, amount: held },
        ],
      });
    }
    await dateTransfers(tx, row.id, finishedAt ?? new Date());
  });
  return row.id;
}

async function dateTransfers(tx: Parameters<Parameters<typeof sqlTransaction>[0]>[0], jobId: string, at: Date, kind?: string) {
  await tx.$executeRaw`SET LOCAL session_replication_role = replica`;
  await tx.$executeRaw`
    UPDATE ledger_transfers SET created_at = (to_timestamp(${at.getTime()}::float8 / 1000) AT TIME ZONE 'UTC')
    WHERE job_id = ${jobId}::uuid AND (${kind ?? null}::text IS NULL OR kind = ${kind ?? null})`;
}

/** A job proven wrong: its price back to the customer (from the treasury here, from a slashed stake in production). */
async function refund(orgId: string, jobId: string, amount: bigint, at: number) {
  await sqlTransaction(async (tx) => {
    await postTransfer(tx, {
      idempotencyKey: `slash:${jobId}`,
      kind: "slash",
      jobId,
      legs: [
        { code: SYSTEM_ACCOUNTS.treasury.code, amount: -amount },
        { code: orgAccountCode(orgId, "available"), amount },
      ],
    });
    await dateTransfers(tx, jobId, new Date(at), "slash");
  });
}

let alice: string;
let bob: string;
let orgA: string;
let orgB: string;
let keyA: string;
const jobs: Record<string, string> = {};

beforeAll(async () => {
  [alice, bob] = [await signUp("alice@usage.example"), await signUp("bob@usage.example")];
  orgA = (await (await as(alice)).account.createOrganization({ name: "Acme Vision", kind: "customer" })).orgId;
  orgB = (await (await as(bob)).account.createOrganization({ name: "Bob Labs", kind: "customer" })).orgId;
  keyA = (await (await as(alice)).keys.create({ name: "ci", scopes: ["jobs:read"] })).key;
  for (const org of [orgA, orgB]) await grantCredits({ orgId: org, amount: 1_000_000n, idempotencyKey: `usage-test:${org}` });
  modelId = (
    await db.t.prisma.model.create({
      data: { id: "b".repeat(64), slug: "m-usage", name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
    })
  ).id;
  const provider = await db.t.prisma.organization.create({
    data: { name: "GPUs", slug: "gpus-usage", kind: "provider" },
    select: { id: true },
  });
  nodeId = (
    await db.t.prisma.node.create({
      data: { orgId: provider.id, name: "gpu", publicKey: "usage-node-key", region: "eu-west" },
      select: { id: true },
    })
  ).id;

  // Organisation A. Bucket 20 (three hours before the current one): two successes, 100 and
  // 300 ms, charged 800 (of a 1 000 hold) and 1 000, and a failure (hold released).
  jobs.a1 = await job(orgA, { state: "succeeded", finishedAt: H - 3 * HOUR + 10 * MIN, ttrMs: 100, charge: 800n });
  jobs.a2 = await job(orgA, { state: "succeeded", finishedAt: H - 3 * HOUR + 20 * MIN, ttrMs: 300 });
  jobs.a3 = await job(orgA, { state: "failed", finishedAt: H - 3 * HOUR + 30 * MIN, ttrMs: 5_000, held: 500n });
  // Bucket 22: a success of 1 000 ms charged 600, an expired job, a canceled one.
  jobs.a4 = await job(orgA, { state: "succeeded", finishedAt: H - HOUR + 5 * MIN, ttrMs: 1_000, charge: 600n });
  jobs.a5 = await job(orgA, { state: "expired", finishedAt: H - HOUR + 10 * MIN });
  jobs.a6 = await job(orgA, { state: "canceled", finishedAt: H - HOUR + 15 * MIN });
  // Bucket 23: a success of 400 ms charged 700, and a4's refund (600) in the same hour.
  jobs.a7 = await job(orgA, { state: "succeeded", finishedAt: H + 500, ttrMs: 400, charge: 700n });
  await refund(orgA, jobs.a4, 600n, H + 1_000);
  // Not in the 24 h window: still queued, or finished 30 hours ago (in the 14-day window).
  jobs.a8 = await job(orgA, { state: "queued" });
  jobs.a9 = await job(orgA, { state: "succeeded", finishedAt: H - 30 * HOUR, ttrMs: 2_000, charge: 900n });

  // Organisation B, in the same hours: none of it may show for A.
  jobs.b1 = await job(orgB, { state: "succeeded", finishedAt: H - 3 * HOUR + 15 * MIN, ttrMs: 20_000, charge: 5_000n, held: 5_000n });
  jobs.b2 = await job(orgB, { state: "failed", finishedAt: H - HOUR + 1 * MIN });
});

const zero = { spend: "0", finished: 0, succeeded: 0, failed: 0, canceled: 0, successRate: null, p50Ms: null, p95Ms: null };

describe("usage overview", () => {
  it("counts each hour's jobs, success rate, p50/p95 time to result and spend, with empty hours as zeros", async () => {
    const o = await getUsageOverview({ orgId: orgA, request: { window: "24h" }, now: NOW });
    expect(o).toMatchObject({
      window: "24h",
      bucket: "hour",
      hasJobs: true,
      from: new Date(H - 23 * HOUR).toISOString(),
      to: new Date(H + HOUR).toISOString(),
    });
    expect(o.buckets).toHaveLength(24);
    expect(o.buckets.map((b) => b.start)).toEqual(Array.from({ length: 24 }, (_, i) => new Date(H - (23 - i) * HOUR).toISOString()));
    // percentile_cont interpolates: p95 of {100, 300} is 100 + 0.95 × 200.
    expect(o.buckets[20]).toEqual({
      start: new Date(H - 3 * HOUR).toISOString(),
      spend: "1800",
      finished: 3,
      succeeded: 2,
      failed: 1,
      canceled: 0,
      successRate: 2 / 3,
      p50Ms: 200,
      p95Ms: 290,
    });
    expect(o.buckets[22]).toMatchObject({
      spend: "600",
      finished: 2,
      succeeded: 1,
      failed: 1,
      canceled: 1,
      successRate: 0.5,
      p50Ms: 1_000,
      p95Ms: 1_000,
    });
    // a7's 700 less a4's refund of 600.
    expect(o.buckets[23]).toMatchObject({ spend: "100", finished: 1, succeeded: 1, failed: 0, successRate: 1, p50Ms: 400, p95Ms: 400 });
    for (const i of [0, 5, 19, 21]) expect(o.buckets[i]).toMatchObject(zero);
    // The window's percentiles come from its jobs, not from averaging buckets: {100, 300, 400, 1000}.
    expect(o.totals).toEqual({
      spend: "2500",
      finished: 6,
      succeeded: 4,
      failed: 2,
      canceled: 1,
      successRate: 4 / 6,
      p50Ms: 350,
      p95Ms: 910,
    });
  });

  it("counts daily buckets over 14 and 30 days", async () => {
    for (const window of ["14d", "30d"] as const) {
      const o = await getUsageOverview({ orgId: orgA, request: { window }, now: NOW });
      expect(o.buckets).toHaveLength(window === "14d" ? 14 : 30);
      expect(o.bucket).toBe("day");
      expect(o.buckets.every((b) => b.start.endsWith("T00:00:00.000Z"))).toBe(true);
      expect(o.totals).toMatchObject({ spend: "3400", finished: 7, succeeded: 5, failed: 2, canceled: 1 });
      expect(o.buckets.reduce((s, b) => s + b.finished, 0)).toBe(7);
    }
  });

  it("answers a new organisation with zeros and hasJobs false", async () => {
    const carol = await signUp("carol@usage.example");
    await (await as(carol)).account.createOrganization({ name: "Carol New", kind: "customer" });
    const o = await (await as(carol)).usage.overview({ window: "24h" });
    expect(o.hasJobs).toBe(false);
    expect(o.totals).toEqual(zero);
    expect(o.buckets).toHaveLength(24);
    expect(o.buckets.every((b) => b.finished === 0 && b.spend === "0")).toBe(true);
  });

  it("serves each member only their organisation's usage through the procedure", async () => {
    const a = await (await as(alice)).usage.overview({ window: "24h" });
    expect(a.totals).toMatchObject({ spend: "2500", finished: 6, succeeded: 4 });
    const byKey = await (await as(null, { authorization: `Bearer ${keyA}` })).usage.overview({ window: "24h" });
    expect(byKey.totals).toEqual(a.totals);
    const b = await (await as(bob)).usage.overview({});
    expect(b.window).toBe("24h");
    expect(b.totals).toMatchObject({ spend: "5000", finished: 2, succeeded: 1, failed: 1, p50Ms: 20_000 });
    // Naming one's own organisation explicitly is the same as the active one.
    expect((await (await as(alice, { [ORG_HEADER]: orgA })).usage.overview({ window: "24h" })).totals).toEqual(a.totals);
  });

  it("refuses a member of A asking for B, by header or API key, and anonymous callers", async () => {
    expect(await code((await as(alice, { [ORG_HEADER]: orgB })).usage.overview({ window: "24h" }))).toBe("NOT_FOUND");
    expect(await code((await as(alice, { [ORG_HEADER]: "not-a-uuid" })).usage.overview({ window: "24h" }))).toBe("NOT_FOUND");
    expect(await code((await as(null, { authorization: `Bearer ${keyA}`, [ORG_HEADER]: orgB })).usage.overview({ window: "24h" }))).toBe(
      "NOT_FOUND",
    );
    expect(await code((await as(bob)).account.setActiveOrganization({ orgId: orgA }))).toBe("NOT_FOUND");
    expect((await (await as(bob)).usage.overview({ window: "24h" })).totals.spend).toBe("5000");
    expect(await code((await as(null)).usage.overview({ window: "24h" }))).toBe("UNAUTHORIZED");
    expect(await code((await as(alice)).usage.overview({ window: "7d" as "24h" }))).toBe("BAD_REQUEST");
  });
});

async function readCsv(orgId: string, request: { from?: string; to?: string }) {
  const csv = await exportUsageCsv({ orgId, request, now: NOW });
  const text = await new Response(csv.body).text();
  return { csv, text, rows: parse(text, { columns: true }) as Record<(typeof USAGE_CSV_COLUMNS)[number], string>[] };
}

async function appCode(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
}

describe("usage export (CSV)", () => {
  it("has one row per finished job of the organisation, oldest first, with what it was charged", async () => {
    const { csv, text, rows } = await readCsv(orgA, {});
    expect(text.split("\n")[0]).toBe(USAGE_CSV_COLUMNS.join(","));
    expect(csv.rows).toBe(8);
    expect(rows.map((r) => r.job_id)).toEqual([jobs.a9, jobs.a1, jobs.a2, jobs.a3, jobs.a4, jobs.a5, jobs.a6, jobs.a7]);
    const byId = new Map(rows.map((r) => [r.job_id, r]));
    expect(byId.get(jobs.a1 ?? "")).toEqual({
      job_id: jobs.a1,
      created_at: new Date(H - 3 * HOUR + 10 * MIN - 100).toISOString(),
      finished_at: new Date(H - 3 * HOUR + 10 * MIN).toISOString(),
      model: "m-usage",
      state: "succeeded",
      cost_cu: "1.500",
      charged_tokens: "0.0008",
      worker_region: "eu-west",
      verification: "unverified",
    });
    // Refunded in full; a failed job's hold was released.
    expect(byId.get(jobs.a4 ?? "")?.charged_tokens).toBe("0");
    expect(byId.get(jobs.a3 ?? "")).toMatchObject({ state: "failed", charged_tokens: "0" });
    expect(byId.get(jobs.a5 ?? "")?.state).toBe("expired");
    for (const other of [jobs.b1, jobs.b2, jobs.a8]) expect(text).not.toContain(other);
  });

  it("takes a range of days or times", async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const { rows } = await readCsv(orgA, { from: new Date(H - 2 * HOUR).toISOString(), to: new Date(H + HOUR).toISOString() });
    expect(rows.map((r) => r.job_id)).toEqual([jobs.a4, jobs.a5, jobs.a6, jobs.a7]);
    // A date alone is its whole UTC day.
    const today = await readCsv(orgA, { from: day(NOW), to: day(NOW) });
    expect(today.rows.map((r) => r.job_id)).toContain(jobs.a7);
    expect(today.csv.filename).toBe(`proofgrid-usage-${day(NOW)}-to-${day(NOW)}.csv`);
    expect((await readCsv(orgB, {})).rows.map((r) => r.job_id)).toEqual([jobs.b1, jobs.b2]);
  });

  it("refuses bad dates and ranges with BAD_REQUEST", async () => {
    expect(await appCode(exportUsageCsv({ orgId: orgA, request: { from: "yesterday" } }))).toBe("BAD_REQUEST");
    expect(await appCode(exportUsageCsv({ orgId: orgA, request: { from: "2026-13-01" } }))).toBe("BAD_REQUEST");
    expect(await appCode(exportUsageCsv({ orgId: orgA, request: { from: "2026-11-10", to: "2026-11-01" } }))).toBe("BAD_REQUEST");
    expect(await appCode(exportUsageCsv({ orgId: orgA, request: { from: "2026-01-01", to: "2026-06-01" } }))).toBe("BAD_REQUEST");
    const ok = await exportUsageCsv({ orgId: orgA, request: { from: "2026-01-01", to: "2026-04-03" } });
    await new Response(ok.body).text();
  });
});
