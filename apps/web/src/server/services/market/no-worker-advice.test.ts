import { describe, expect, it } from "vitest";
import { adviseNoWorker, type ServingWorker } from "./no-worker-advice.ts";

const w = (over: Partial<ServingWorker> = {}): ServingWorker => ({
  orgId: "provider",
  quarantined: false,
  minStakeOk: true,
  freeSlots: 1,
  askPerCuBaseUnits: 40_000n,
  ...over,
});
const base = { model: "m", orgId: "customer", cap: 50_000n, queue: null, fallback: "indexer says no" };

describe("what to change when no worker fits", () => {
  it("no worker serves the model", () => {
    expect(adviseNoWorker({ ...base, serving: [] }).code).toBe("no_worker_serves_model");
  });
  it("only the customer's own workers serve it", () => {
    expect(adviseNoWorker({ ...base, serving: [w({ orgId: "customer" })] }).code).toBe("only_own_workers");
  });
  it("every other worker is quarantined or under-staked", () => {
    expect(adviseNoWorker({ ...base, serving: [w({ quarantined: true }), w({ minStakeOk: false })] }).code).toBe("workers_unavailable");
  });
  it("a cap below every ask names the cheapest ask, busy or not", () => {
    const a = adviseNoWorker({
      ...base,
      cap: 30_000n,
      serving: [w({ askPerCuBaseUnits: 45_000n }), w({ askPerCuBaseUnits: 40_000n, freeSlots: 0 })],
    });
    expect(a.code).toBe("raise_price_cap");
    expect(a.cheapestAskPerCu).toBe(40_000n);
    expect(a.advice).toMatch(/your price cap of 0\.03 tokens per CU to at least 0\.04 tokens \(maxPricePerCu: "40000", in base units\)/);
    expect(a.advice).toMatch(/busy now/);
  });
  it("affordable workers all busy: the queue estimate", () => {
    const a = adviseNoWorker({
      ...base,
      queue: { position: 3, estimatedStartMs: 4_200 },
      serving: [w({ freeSlots: 0 }), w({ askPerCuBaseUnits: 90_000n })],
    });
    expect(a.code).toBe("all_busy");
    expect(a.advice).toMatch(/number 3 in the queue and start in about 4 s/);
  });
  it("otherwise the indexer's own message", () => {
    expect(adviseNoWorker({ ...base, serving: [w()] })).toMatchObject({ code: "other", advice: "indexer says no" });
  });
});
