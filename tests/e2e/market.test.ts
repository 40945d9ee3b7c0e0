import { sql } from "@proofgrid/db/sql-client";
import { REGIONS, TERM_NAMES } from "@proofgrid/indexer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceForCost } from "../../apps/web/src/server/services/billing/pricing.ts";
import { providerOrg } from "../support/orgs.ts";
import { api, type Stack, startStack, type WorkerHandle } from "../support/stack.ts";

// The market as customers and providers see it, on the real stack: two workers of one
// provider with different asks, a third that serves only a model nobody asks for, quotes
// that run the indexer as the dispatcher does, and diagnostics that explain the results.

const ENCODER = "encoder-synthetic-minilm";
const VAD = "vad-silero-v5";
const PLATFORM_REGION = "eu-central"; // the default PLATFORM_REGION: where `local` workers count

interface Quote {
  available: boolean;
  clientRegion: string;
  maxPricePerCu: string;
  pricedFor: "input" | "reference-input";
  costMilliCu: number;
  hold: string;
  price: string | null;
  via: string | null;
  worker: { region: string; expectedRttMs: number; askPricePerCu: string } | null;
  timeToResultMs: { p50: number | null; p95: number | null; samples: number } | null;
  explanation: {
    winner: { score: number; terms: Record<string, { value: number; weight: number; contribution: number }> };
    runnerUp: unknown;
  } | null;
  reason: {
    message: string;
    eliminated: Record<string, number>;
    code: string;
    advice: string;
    cheapestAskPerCu: string | null;
    queue: unknown;
  } | null;
}
interface MarketEntry {
  model: string;
  region: string;
  workersOnline: number;
  freeSlots: number;
  askPricePerCu: { min: string; median: string; max: string } | null;
  timeToResultMs: { p50: number | null; p95: number | null; samples: number };
}
interface Diagnostics {
  online: boolean;
  status: string;
  chosen: number;
  runnerUp: number;
  analysis: { jobsAnalysed: number; eliminated: Record<string, number> };
  reasons: { code: string; message: string; detail: Record<string, unknown> }[];
}
interface ErrorBody {
  error: { code: string; message: string };
}

let stack: Stack;
let cheap: WorkerHandle;
let pricey: WorkerHandle;
let vadOnly: WorkerHandle;
let providerKey: string;
let otherProviderKey: string;
let encoderBaseCost: number;

/** What a refused request must leave untouched: every node's ask, and the jobs. */
async function marketState() {
  const [nodes, jobs] = await Promise.all([
    sql().$queryRaw<{ id: string; ask: string | null }[]>`SELECT id, ask_price_per_cu::text AS ask FROM nodes ORDER BY id`,
    sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`,
  ]);
  return { nodes, jobs: jobs[0]?.n };
}

async function expectRefused(status: number, call: () => Promise<{ status: number; body: unknown }>, message?: RegExp) {
  const before = await marketState();
  const res = await call();
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const err = (res.body as ErrorBody).error;
  expect(err?.message, "a clear error message").toBeTruthy();
  if (message) expect(err.message).toMatch(message);
  expect(await marketState()).toEqual(before);
}

const setAsk = (nodeId: string, askPricePerCu: unknown, key: string | null = providerKey) =>
  api(stack, `/api/v1/nodes/${nodeId}`, { method: "PATCH", key, body: { askPricePerCu } });
const quote = (body: unknown) => api<Quote>(stack, "/api/v1/quote", { body });
const diagnostics = (nodeId: string, key: string | null = providerKey) =>
  api<Diagnostics>(stack, `/api/v1/nodes/${nodeId}/diagnostics`, { key });

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000 });
  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  providerKey = (await createApiKey({ orgId: stack.seed.providerOrgId, name: "provider", scopes: ["nodes:read", "nodes:write"] })).key;
  const otherProvider = await providerOrg("market-other-provider", { licence: false });
  otherProviderKey = (await createApiKey({ orgId: otherProvider, name: "other", scopes: ["nodes:read", "nodes:write"] })).key;
  cheap = await stack.addWorker("cheap");
  pricey = await stack.addWorker("pricey");
  // Registered, never started (it takes no job anyway): it serves only VAD, which nobody asks for.
  vadOnly = await stack.addWorker("vad-only", {}, { start: false });
  const vadId = stack.seed.models.find((m) => m.slug === VAD)?.id as string;
  await sql().$executeRaw`UPDATE nodes SET models = ARRAY[${vadId}]::text[] WHERE id = ${vadOnly.nodeId}::uuid`;
  const rows = await sql().$queryRaw<{ base_cost_milli_cu: number }[]>`SELECT base_cost_milli_cu FROM models WHERE slug = ${ENCODER}`;
  encoderBaseCost = rows[0]?.base_cost_milli_cu as number;
});
afterAll(async () => {
  await stack?.stop();
});

describe("regions and asking prices", () => {
  it("GET /regions lists every region with the online workers under the platform's region", async () => {
    const res = await api<{
      platformRegion: string;
      regions: { id: string; name: string; lat: number; lon: number; workersOnline: number; freeSlots: number }[];
    }>(stack, "/api/v1/regions", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.platformRegion).toBe(PLATFORM_REGION);
    expect(res.body.regions.map((r) => r.id)).toEqual(REGIONS.map((r) => r.id));
    const home = res.body.regions.find((r) => r.id === PLATFORM_REGION);
    expect(home?.workersOnline).toBeGreaterThanOrEqual(2);
    expect(home?.freeSlots).toBeGreaterThanOrEqual(2);
    expect(home?.name).toBe("Frankfurt");
    for (const r of res.body.regions) if (r.id !== PLATFORM_REGION) expect(r, r.id).toMatchObject({ workersOnline: 0, freeSlots: 0 });
  });

  it("a provider sets each worker's ask with PATCH /nodes/:id", async () => {
    const a = await setAsk(cheap.nodeId, 40_000);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body).toMatchObject({
      nodeId: cheap.nodeId,
      askPricePerCu: "40000",
      effectiveAskPricePerCu: "40000",
      listPricePerCu: "50000",
    });
    const b = await setAsk(pricey.nodeId, "45000");
    expect(b.status).toBe(200);
    // null goes back to the list price, then a number again.
    expect((await setAsk(vadOnly.nodeId, null)).body).toMatchObject({ askPricePerCu: null, effectiveAskPricePerCu: "50000" });
    const rows = await sql().$queryRaw<{ id: string; ask: string | null }[]>`
      SELECT id, ask_price_per_cu::text AS ask FROM nodes WHERE id = ANY(${[cheap.nodeId, pricey.nodeId, vadOnly.nodeId]}::uuid[])`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.ask]))).toEqual({
      [cheap.nodeId]: "40000",
      [pricey.nodeId]: "45000",
      [vadOnly.nodeId]: null,
    });
  });

  it("a bad ask is 400 and changes nothing; another provider's node is 404", async () => {
    for (const bad of [-5, 0, 1.5, "1.5", "abc", 1e13, "10000000000001", true, [40_000]]) {
      await expectRefused(400, () => setAsk(pricey.nodeId, bad), /askPricePerCu/);
    }
    await expectRefused(400, () => api(stack, `/api/v1/nodes/${pricey.nodeId}`, { method: "PATCH", key: providerKey, body: {} }));
    await expectRefused(400, () =>
      api(stack, `/api/v1/nodes/${pricey.nodeId}`, { method: "PATCH", key: providerKey, body: { askPricePerCu: 1, extra: 1 } }),
    );
    await expectRefused(404, () => setAsk(pricey.nodeId, 1, otherProviderKey));
    // The customer's key has every scope, but the node is not its organisation's.
    await expectRefused(404, () => setAsk(pricey.nodeId, 1, stack.apiKey));
    await expectRefused(404, () => setAsk("not-a-node", 1));
    await expectRefused(401, () => setAsk(pricey.nodeId, 1, null));
  });
});

describe("quotes", () => {
  it("picks the cheaper of two otherwise equal workers, with its ask, the price at it and the hold at the cap", async () => {
    const res = await quote({ model: ENCODER, maxPricePerCu: "100000" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const q = res.body;
    expect(q.available).toBe(true);
    expect(q.via).toBe("indexer");
    expect(q.clientRegion).toBe(PLATFORM_REGION);
    expect(q.worker).toMatchObject({ region: PLATFORM_REGION, askPricePerCu: "40000" });
    expect(q.worker?.expectedRttMs).toBeGreaterThan(0);
    expect(q.costMilliCu).toBe(encoderBaseCost);
    expect(q.price).toBe(priceForCost(encoderBaseCost, 40_000n).toString());
    expect(q.hold).toBe(priceForCost(encoderBaseCost, 100_000n).toString());
    expect(Object.keys(q.explanation?.winner.terms ?? {})).toEqual([...TERM_NAMES]);
    expect(q.explanation?.runnerUp).not.toBeNull();
    expect(q.reason).toBeNull();
    // A quote never names the worker.
    const text = JSON.stringify(q);
    for (const w of [cheap, pricey, vadOnly]) expect(text).not.toContain(w.nodeId);
  });

  it("without a cap or an input the list price applies to the reference input, and says so", async () => {
    const res = await quote({ model: ENCODER });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      available: true,
      pricedFor: "reference-input",
      maxPricePerCu: "50000",
      hold: priceForCost(encoderBaseCost, 50_000n).toString(),
    });
    expect(res.body.worker?.askPricePerCu).toBe("40000");
  });

  it("a cap below every ask: no worker, the price filter named, and the cheapest ask to raise it to", async () => {
    const res = await quote({ model: ENCODER, maxPricePerCu: 30_000 });
    expect(res.status).toBe(200);
    const q = res.body;
    expect(q.available).toBe(false);
    expect(q.worker).toBeNull();
    expect(q.price).toBeNull();
    expect(q.reason?.eliminated.price).toBe(2);
    expect(q.reason?.message).toMatch(/2 ask more than the price cap/);
    expect(q.reason?.code).toBe("raise_price_cap");
    expect(q.reason?.cheapestAskPerCu).toBe("40000");
    expect(q.reason?.advice).toMatch(/at least 0\.04 tokens \(maxPricePerCu: "40000", in base units\)/);
    // Waiting would not help: no queue estimate.
    expect(q.reason?.queue).toBeNull();
  });

  it("a job submitted with that cap stays queued, and its job view says why", async () => {
    const submitted = await api<{ id: string; state: string }>(stack, "/api/v1/jobs", {
      body: { model: ENCODER, input: { text: "too cheap" }, maxPricePerCu: "30000" },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    // Several dispatch rounds (every 500 ms and on every event).
    await new Promise((r) => setTimeout(r, 3_000));
    const job = await api<{ state: string; placement: unknown; queue: { position: number; reason: string | null } | null }>(
      stack,
      `/api/v1/jobs/${submitted.body.id}`,
    );
    expect(job.body.state).toBe("queued");
    expect(job.body.placement).toBeNull();
    expect(job.body.queue?.position).toBeGreaterThanOrEqual(1);
    expect(job.body.queue?.reason).toMatch(/40000/);
    expect((await api(stack, `/api/v1/jobs/${submitted.body.id}`, { method: "DELETE" })).status).toBe(200);
  });

  it("bad input is 400 (unknown model or region, a negative or fractional cap); no key is 401", async () => {
    await expectRefused(400, () => quote({ model: "no-such-model" }), /unknown model/);
    await expectRefused(400, () => quote({ model: ENCODER, region: "mars-north" }), /unknown region/);
    await expectRefused(400, () => quote({ model: ENCODER, maxPricePerCu: -1 }));
    await expectRefused(400, () => quote({ model: ENCODER, maxPricePerCu: 1.5 }));
    await expectRefused(400, () => quote({ model: ENCODER, maxPricePerCu: "1e5" }));
    await expectRefused(400, () => quote({}));
    await expectRefused(401, () => api(stack, "/api/v1/quote", { key: null, body: { model: ENCODER } }));
  });
});

describe("market and diagnostics after real jobs", () => {
  const jobIds: string[] = [];

  it("with one worker asking far above the customers' caps, every job goes to the other", async () => {
    expect((await setAsk(pricey.nodeId, 10_000_000)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const submitted = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: ENCODER, input: { text: `market job ${i}` } } });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
      const done = await api<{ state: string; workerId: string; unitPrice: string }>(stack, `/api/v1/jobs/${submitted.body.id}?wait=60000`);
      expect(done.body.state, JSON.stringify(done.body)).toBe("succeeded");
      expect(done.body.workerId).toBe(cheap.nodeId);
      expect(done.body.unitPrice).toBe("40000");
      jobIds.push(submitted.body.id);
    }
    // The public feeds count a bucket (1 s here) once it has closed: the last job's is open still.
    await new Promise((r) => setTimeout(r, 1_100));
  });

  it("GET /market shows both asks and the time to result of those jobs", async () => {
    const res = await api<{ listPricePerCu: string; markets: MarketEntry[] }>(stack, `/api/v1/market?model=${ENCODER}`, { key: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.listPricePerCu).toBe("50000");
    expect(res.body.markets).toHaveLength(1);
    const m = res.body.markets[0] as MarketEntry;
    expect(m).toMatchObject({ model: ENCODER, region: PLATFORM_REGION, workersOnline: 2 });
    expect(m.askPricePerCu).toEqual({ min: "40000", median: "40000", max: "10000000" });
    expect(m.timeToResultMs.samples).toBe(4);
    expect(m.timeToResultMs.p50).toBeGreaterThan(0);
    expect(m.timeToResultMs.p95).toBeGreaterThanOrEqual(m.timeToResultMs.p50 as number);
    // What the four jobs took, by their own timestamps: p95 of four is the slowest.
    const rows = await sql().$queryRaw<{ ms: number }[]>`
      SELECT extract(epoch FROM finished_at - created_at)::float8 * 1000 AS ms FROM jobs WHERE id = ANY(${jobIds}::uuid[])`;
    expect(m.timeToResultMs.p95).toBe(Math.round(Math.max(...rows.map((r) => r.ms))));

    const all = await api<{ markets: MarketEntry[] }>(stack, "/api/v1/market", { key: null });
    const vad = all.body.markets.find((e) => e.model === VAD);
    expect(vad?.workersOnline).toBeGreaterThanOrEqual(2); // cheap and pricey serve it too; vad-only while it counts as online
    expect(vad?.timeToResultMs).toEqual({ p50: null, p95: null, samples: 0 });
    const elsewhere = await api<{ markets: MarketEntry[] }>(stack, "/api/v1/market?region=ap-sydney", { key: null });
    expect(elsewhere.body.markets).toEqual([]);
  });

  it("GET /market refuses an unknown model or region (400)", async () => {
    await expectRefused(400, () => api(stack, "/api/v1/market?region=mars-north", { key: null }), /unknown region/);
    await expectRefused(400, () => api(stack, "/api/v1/market?model=no-such-model", { key: null }), /unknown model/);
    await expectRefused(400, () => api(stack, "/api/v1/market?model=", { key: null }));
  });

  it("a quote now reports the region's p95 time to result", async () => {
    const res = await quote({ model: ENCODER });
    expect(res.body.available).toBe(true);
    expect(res.body.timeToResultMs?.samples).toBe(4);
    expect(res.body.timeToResultMs?.p95).toBeGreaterThan(0);
  });

  it("diagnostics: the worker asking far above the caps is told price_above_market", async () => {
    const res = await diagnostics(pricey.nodeId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const d = res.body;
    expect(d.online).toBe(true);
    expect(d.chosen).toBe(0);
    const price = d.reasons.find((r) => r.code === "price_above_market");
    expect(price, JSON.stringify(d.reasons)).toBeDefined();
    // Four jobs at the list price and the one capped at 30 000: all below its ask.
    expect(price?.detail.jobsCapBelowAsk).toBe(5);
    // ... of which the four at the list price went to the cheaper worker; the one capped at
    // 30 000 no worker could take.
    expect(price?.detail.jobsLostToCheaperWorkers).toBe(4);
    expect(price?.detail.medianWinningAskPerCu).toBe("40000");
    expect(price?.detail.askPricePerCu).toBe("10000000");
    expect(d.analysis.eliminated.price).toBe(5);
    expect(d.reasons.map((r) => r.code)).not.toContain("ok");
  });

  it("diagnostics: the worker serving no demanded model is told missing_model", async () => {
    const res = await diagnostics(vadOnly.nodeId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const missing = res.body.reasons.find((r) => r.code === "missing_model");
    expect(missing, JSON.stringify(res.body.reasons)).toBeDefined();
    expect(missing?.detail.models).toEqual([expect.objectContaining({ model: ENCODER, jobs: 5 })]);
    expect(missing?.message).toContain(ENCODER);
  });

  it("diagnostics: the winner was chosen for every job and is not told its price is too high (a cap below every ask is the customer's)", async () => {
    const res = await diagnostics(cheap.nodeId);
    expect(res.status).toBe(200);
    expect(res.body.chosen).toBe(4);
    expect(res.body.runnerUp).toBe(0);
    const codes = res.body.reasons.map((r) => r.code);
    expect(codes).not.toContain("price_above_market");
    expect(codes).not.toContain("offline");
    expect(codes).not.toContain("missing_model"); // it serves every model asked for
  });

  it("diagnostics are tenant isolated: another provider's node and a customer's key get 404", async () => {
    await expectRefused(404, () => diagnostics(pricey.nodeId, otherProviderKey));
    await expectRefused(404, () => diagnostics(pricey.nodeId, stack.apiKey));
    await expectRefused(404, () => diagnostics("00000000-0000-0000-0000-000000000000"));
    await expectRefused(404, () => diagnostics("not-a-uuid"));
    await expectRefused(401, () => diagnostics(pricey.nodeId, null));
  });

  it("the tRPC market router answers the same through createCaller", async () => {
    const { createCaller } = await import("../../apps/web/src/server/api/root.ts");
    const { createTRPCContext } = await import("../../apps/web/src/server/api/trpc.ts");
    const as = async (key: string) => createCaller(await createTRPCContext({ headers: new Headers({ authorization: `Bearer ${key}` }) }));
    const customer = await as(stack.apiKey);
    const provider = await as(providerKey);
    const other = await as(otherProviderKey);
    expect((await customer.market.regions()).regions).toHaveLength(REGIONS.length);
    const q = await customer.market.quote({ model: ENCODER, maxPricePerCu: "100000" });
    expect(q).toMatchObject({ available: true, worker: { askPricePerCu: "40000" } });
    const d = await provider.market.diagnostics({ nodeId: pricey.nodeId });
    expect(d.reasons.map((r) => r.code)).toContain("price_above_market");
    await expect(other.market.diagnostics({ nodeId: pricey.nodeId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(provider.market.setAskPrice({ nodeId: pricey.nodeId, askPricePerCu: 1.5 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await provider.market.setAskPrice({ nodeId: pricey.nodeId, askPricePerCu: null })).toMatchObject({
      askPricePerCu: null,
      effectiveAskPricePerCu: "50000",
    });
    await expect(customer.market.market({ region: "mars-north" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

// Last: its job would change the counts the tests above read.
describe("a quote of a submit's body", () => {
  it("prices the caller's input: a submit of the same body holds the quoted hold and is charged the quoted price", async () => {
    // Longer than the reference input: it costs more than the base cost (issue 10: quoted 26 250, charged 14 850).
    const body = { model: ENCODER, input: { texts: Array.from({ length: 6 }, (_, i) => `a submit's body works too, sentence ${i}`) } };
    const q = await quote(body);
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    expect(q.body.pricedFor).toBe("input");
    expect(q.body.costMilliCu).not.toBe(encoderBaseCost);
    const submitted = await api<{ id: string; price: string; costMilliCu: number }>(stack, "/api/v1/jobs", { body });
    expect(submitted.status).toBe(201);
    expect(submitted.body.costMilliCu).toBe(q.body.costMilliCu);
    expect(submitted.body.price).toBe(q.body.hold);
    // Settlement charges the cost at the ask fixed at assignment: at the quoted worker's ask, the quoted price.
    const done = await api<{ state: string; unitPrice: string | null }>(stack, `/api/v1/jobs/${submitted.body.id}?wait=60000`);
    expect(done.body.state).toBe("succeeded");
    expect(q.body.price).toBe(priceForCost(q.body.costMilliCu, BigInt(q.body.worker?.askPricePerCu ?? 0)).toString());
    if (done.body.unitPrice === q.body.worker?.askPricePerCu) {
      expect(priceForCost(submitted.body.costMilliCu, BigInt(done.body.unitPrice)).toString()).toBe(q.body.price);
    }
    // Bad input is refused as a submit refuses it, and nothing is held.
    await expectRefused(400, () => quote({ model: ENCODER, input: { text: 42 } }), /invalid input/);
  });
});
