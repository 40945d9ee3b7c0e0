import { sql } from "@proofgrid/db/sql-client";
import { beforeAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { feedHorizon } from "../network/feed-horizon.ts";
import { listRecentActivity } from "../network/list-recent-jobs.ts";
import { invalidateLiveNetwork } from "./live-network.ts";
import { getNodeDiagnostics } from "./diagnostics.ts";
import { getMarket } from "./market.ts";

// The public market (GET /api/v1/market) against a real Postgres. Before this, its time to
// result counted customer jobs only, up to now, and its free slots were live: a worker
// polling it right after each result saw its region's sample count move for a customer job
// and stay for a challenge — a label for every job it ran (issue 12). Now every purpose
// counts alike, only results older than PUBLIC_FEED_DELAY_MS, and free slots are as they
// were at the feed horizon.

const MODEL = "m".repeat(64);

const db = setupServiceDatabase({
  name: "market",
  env: { PUBLIC_FEED_BUCKET_MS: "60000", PUBLIC_FEED_DELAY_MS: "120000", POR_STAKE_REQUIRED: "0" },
});

beforeAll(async () => {
  const org = await db.t.prisma.organization.create({ data: { slug: "acme", name: "acme" }, select: { id: true } });
  const protocol = await db.t.prisma.organization.create({ data: { slug: "protocol-x", name: "protocol" }, select: { id: true } });
  await db.t.prisma.model.create({
    data: { id: MODEL, slug: "vad-silero-v5", name: "VAD", kind: "vad", description: "", signature: {}, baseCostMilliCu: 10 },
  });
  const node = await db.t.prisma.node.create({
    data: {
      orgId: org.id,
      name: "w",
      publicKey: "k",
      region: "ca-montreal",
      status: "online",
      models: [MODEL],
      maxConcurrency: 2,
      cuPerHour: 100,
      lastSeenAt: new Date(),
    },
    select: { id: true },
  });
  // [seconds before now it finished, purpose, still running]
  const jobs: [number, "customer" | "challenge", boolean][] = [
    [600, "customer", false],
    [600, "challenge", false],
    [540, "challenge", false],
    [5, "customer", false], // just finished: a poll right after it must not see it
    [0, "challenge", true], // running now, leased 3 s ago: the slot is not shown as taken
  ];
  for (const [ago, purpose, running] of jobs) {
    const finished = new Date(Date.now() - ago * 1000);
    await sql().$executeRaw`
      INSERT INTO jobs (id, org_id, model_id, state, node_id, cost_milli_cu, price, input_hash, input_bytes, purpose, created_at, assigned_at, started_at, finished_at)
      VALUES (gen_random_uuid(), ${purpose === "customer" ? org.id : protocol.id}::uuid, ${MODEL}, ${running ? "running" : "succeeded"}::"JobState", ${node.id}::uuid, 10, 1, 'h', 1,
              ${purpose}::"JobPurpose", ${new Date(finished.getTime() - 3_000)}, ${new Date(finished.getTime() - 3_000)}, ${new Date(finished.getTime() - 2_000)}, ${running ? null : finished})`;
  }
});

describe("getMarket", () => {
  it("counts every purpose alike, only results older than the feed delay, and free slots as at the horizon", async () => {
    const { markets } = await getMarket({});
    expect(markets).toHaveLength(1);
    const m = markets[0];
    // The two challenges and the old customer job; before: the two customer jobs (the one of 5 s ago included).
    expect(m?.timeToResultMs.samples).toBe(3);
    expect(m?.timeToResultMs.p50).toBe(3_000);
    // The running challenge holds one of two slots now; two minutes ago both were free.
    expect(m?.freeSlots).toBe(2);
    expect(m?.workersOnline).toBe(1);
  });

  it("moves its counts once a bucket: a result older than the delay but in the open bucket waits for the bucket to close", async () => {
    // Counting up to `now − delay` to the millisecond told a worker polling after each lease
    // how many jobs finished between its polls, two minutes late (bench:por, AUC 0.59).
    const delayMs = 120_000;
    if (Date.now() - delayMs - feedHorizon().getTime() < 3_000) await new Promise((r) => setTimeout(r, 3_500)); // not on a bucket edge
    const before = (await getMarket({})).markets[0]?.timeToResultMs.samples;
    const org = await db.t.prisma.organization.findFirstOrThrow({ where: { slug: "acme" }, select: { id: true } });
    const node = await db.t.prisma.node.findFirstOrThrow({ where: { orgId: org.id }, select: { id: true } });
    const finished = new Date(Date.now() - delayMs - 1_000);
    expect(finished.getTime()).toBeGreaterThanOrEqual(feedHorizon().getTime()); // in the bucket still open at the horizon
    await sql().$executeRaw`
      INSERT INTO jobs (id, org_id, model_id, state, node_id, cost_milli_cu, price, input_hash, input_bytes, purpose, created_at, assigned_at, started_at, finished_at)
      VALUES (gen_random_uuid(), ${org.id}::uuid, ${MODEL}, 'succeeded'::"JobState", ${node.id}::uuid, 10, 1, 'h', 1, 'customer'::"JobPurpose",
              ${new Date(finished.getTime() - 3_000)}, ${new Date(finished.getTime() - 3_000)}, ${new Date(finished.getTime() - 2_000)}, ${finished})`;
    expect((await getMarket({})).markets[0]?.timeToResultMs.samples).toBe(before);
  });
});

describe("uploaded models on the public feeds (issue 17)", () => {
  const PUBLIC = "a".repeat(64);
  const PRIVATE = "b".repeat(64);
  let optedIn: { orgId: string; nodeId: string };
  let plain: { orgId: string; nodeId: string };

  beforeAll(async () => {
    const owner = await db.t.prisma.organization.create({ data: { slug: "owner", name: "owner" }, select: { id: true } });
    const provider = await db.t.prisma.organization.create({ data: { slug: "opted-in", name: "opted in" }, select: { id: true } });
    for (const [id, visibility] of [
      [PUBLIC, "public"],
      [PRIVATE, "private"],
    ] as const) {
      await db.t.prisma.model.create({
        data: {
          id,
          slug: `custom-${id.slice(0, 12)}`,
          name: id,
          kind: "tensor",
          description: "",
          signature: {},
          baseCostMilliCu: 5,
          builtIn: false,
        },
      });
      await db.t.prisma.customModel.create({ data: { orgId: owner.id, modelId: id, name: `${visibility} one`, visibility } });
    }
    const node = await db.t.prisma.node.create({
      data: {
        orgId: provider.id,
        name: "opted-in",
        publicKey: "k2",
        region: "eu-central",
        status: "online",
        models: [],
        acceptsCustomModels: true,
        maxConcurrency: 3,
        cuPerHour: 100,
        lastSeenAt: new Date(),
      },
      select: { id: true },
    });
    optedIn = { orgId: provider.id, nodeId: node.id };
    const other = await db.t.prisma.organization.create({ data: { slug: "not-opted-in", name: "not opted in" }, select: { id: true } });
    const plainNode = await db.t.prisma.node.create({
      data: {
        orgId: other.id,
        name: "plain",
        publicKey: "k3",
        region: "eu-central",
        status: "online",
        models: [MODEL],
        maxConcurrency: 1,
        cuPerHour: 100,
        lastSeenAt: new Date(),
      },
      select: { id: true },
    });
    plain = { orgId: other.id, nodeId: plainNode.id };
    const finished = new Date(Date.now() - 600_000);
    for (const id of [PUBLIC, PRIVATE]) {
      await sql().$executeRaw`
        INSERT INTO jobs (id, org_id, model_id, state, node_id, cost_milli_cu, price, input_hash, input_bytes, purpose, created_at, assigned_at, started_at, finished_at)
        VALUES (gen_random_uuid(), ${owner.id}::uuid, ${id}, 'succeeded'::"JobState", ${node.id}::uuid, 5, 1, 'h', 1, 'customer'::"JobPurpose",
                ${new Date(finished.getTime() - 3_000)}, ${new Date(finished.getTime() - 3_000)}, ${new Date(finished.getTime() - 2_000)}, ${finished})`;
    }
    invalidateLiveNetwork(); // the market's short cache of the network predates this worker
  });

  it("shows a public uploaded model with the opted-in workers as its supply, and nothing of a private one", async () => {
    const { markets } = await getMarket({});
    const pub = markets.find((m) => m.modelId === PUBLIC);
    expect(pub).toMatchObject({ model: `custom-${PUBLIC.slice(0, 12)}`, region: "eu-central", workersOnline: 1, freeSlots: 3 });
    expect(pub?.timeToResultMs.samples).toBe(1);
    expect(JSON.stringify(markets)).not.toContain(PRIVATE.slice(0, 12));
    // Asked for by name: the public one answers, the private one is unknown to the public market.
    expect((await getMarket({ model: PUBLIC })).markets.map((m) => m.workersOnline)).toEqual([1]);
    await expect(getMarket({ model: `custom-${PRIVATE.slice(0, 12)}` })).rejects.toThrow(/unknown model/);
  });

  it("counts a private model's jobs in the explorer's activity as `private`, never by its slug", async () => {
    const { activity } = await listRecentActivity({ limit: 50 });
    expect(activity.some((a) => a.model === `custom-${PUBLIC.slice(0, 12)}`)).toBe(true);
    expect(activity.some((a) => a.model === "private" && a.jobs === 1)).toBe(true);
    expect(JSON.stringify(activity)).not.toContain(PRIVATE.slice(0, 12));
  });

  it("tells a provider's worker that did not opt in how to take the uploaded models' jobs, naming only public ones; an opted-in worker misses none", async () => {
    const d = await getNodeDiagnostics(plain);
    const missing = d.reasons.find((r) => r.code === "missing_model");
    expect(missing?.message).toMatch(/ACCEPT_CUSTOM_MODELS=1/);
    expect(missing?.detail).toMatchObject({ uploadedModelJobs: 1 });
    expect(JSON.stringify(d)).toContain(PUBLIC.slice(0, 12));
    expect(JSON.stringify(d)).not.toContain(PRIVATE.slice(0, 12));
    const mine = await getNodeDiagnostics(optedIn);
    const left = mine.reasons.find((r) => r.code === "missing_model");
    expect(JSON.stringify(left?.detail ?? {})).not.toContain(PUBLIC.slice(0, 12));
  });
});
