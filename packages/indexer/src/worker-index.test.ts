import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimateRttMs, findRegion, getRegionOrThrow, haversineKm, REGIONS } from "./geo.ts";
import * as indexer from "./index.ts";
import { linearScan, placeJob } from "./match.ts";
import { clientLocation, type Job, ranksAbove, resolveOptions, scoreContext, scoreWorker } from "./scoring.ts";
import { healthyWorker, job, network } from "./test-networks.ts";
import { WorkerIndex } from "./worker-index.ts";

describe("geo", () => {
  it("has the regions the seed names, with unique ids", () => {
    for (const id of ["ca-montreal", "cn-hangzhou", "cn-tieling", "us-east", "eu-west"]) expect(findRegion(id), id).toBeDefined();
    expect(new Set(REGIONS.map((r) => r.id)).size).toBe(REGIONS.length);
    expect(REGIONS.length).toBeGreaterThanOrEqual(30);
  });

  it("measures known distances within 1 %", () => {
    // Reference great-circle distances: Montreal–Frankfurt ≈ 5 850 km, Tieling–Hangzhou ≈ 1 390 km.
    expect(haversineKm(getRegionOrThrow("ca-montreal"), getRegionOrThrow("eu-central"))).toBeCloseTo(5_850, -2);
    const th = haversineKm(getRegionOrThrow("cn-tieling"), getRegionOrThrow("cn-hangzhou"));
    expect(Math.abs(th - 1_390) / 1_390).toBeLessThan(0.02);
  });

  it("estimates RTT as a fixed cost plus inflated fibre propagation, monotone in distance", () => {
    expect(estimateRttMs(0)).toBe(4);
    expect(estimateRttMs(10_000)).toBeCloseTo(4 + 150.1, 0);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 20_040, noNaN: true }), fc.double({ min: 0, max: 20_040, noNaN: true }), (a, b) => {
        if (a <= b) expect(estimateRttMs(a)).toBeLessThanOrEqual(estimateRttMs(b));
      }),
    );
  });
});

describe("WorkerIndex", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("assign" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("release" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("quarantine" as const), at: fc.nat() }),
    // A change the index applies in place: price, reputation, warm models, link delay.
    fc.record({
      kind: fc.constant("reprice" as const),
      at: fc.nat(),
      ask: fc.bigInt({ min: 1n, max: 2_000_000n }),
      reputation: fc.double({ min: 0, max: 1, noNaN: true }),
      warm: fc.boolean(),
      measuredRttMs: fc.double({ min: 0, max: 40, noNaN: true }),
    }),
  );

  it("after any sequence of add/assign/release/remove/update decides like a fresh linear scan of its workers", () => {
    fc.assert(
      fc.property(network(30), fc.array(op, { maxLength: 40 }), fc.array(job, { minLength: 1, maxLength: 5 }), (workers, ops, jobs) => {
        const index = new WorkerIndex();
        for (const w of workers) index.upsert(w);
        for (const o of ops) {
          const ids = [...index.workers()].map((w) => w.id);
          const id = ids[o.at % Math.max(1, ids.length)];
          if (id === undefined) break;
          const w = index.get(id);
          if (!w) throw new Error("listed worker missing");
          if (o.kind === "assign" && w.freeSlots > 0) index.assign(id);
          if (o.kind === "release") index.release(id);
          if (o.kind === "remove") expect(index.remove(id)).toBe(true);
          if (o.kind === "quarantine") index.upsert({ ...w, quarantined: !w.quarantined });
          if (o.kind === "reprice")
            index.upsert({
              ...w,
              askPerCuBaseUnits: o.ask,
              reputation: o.reputation,
              loadedModels: o.warm ? w.models : [],
              measuredRttMs: o.measuredRttMs,
            });
        }
        for (const j of jobs) {
          const a = placeJob(j, index, { k: 64 });
          const b = linearScan(j, index.workers(), { k: 64 });
          expect({ ...a, scanned: 0 }).toEqual({ ...b, scanned: 0 });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("search returns the candidates searchRanked scores: the same best two and the same count", () => {
    fc.assert(
      fc.property(network(60), job, fc.integer({ min: 1, max: 8 }), (workers, j, k) => {
        const index = new WorkerIndex();
        for (const w of workers) index.upsert(w);
        const opts = resolveOptions({ k });
        const client = clientLocation(j);
        const ctx = scoreContext(j, opts, index.meanSelections(j.modelId));
        const ranked = index.searchRanked(j, client, opts, ctx);
        const plain = index.search(j, client, opts);
        const scored = plain.candidates
          .map((c) => ({ ...c, score: scoreWorker(c.worker, c.rttMs, ctx) }))
          .sort((a, b) => (ranksAbove(a.score, a.rttMs, a.worker.id, b.score, b.rttMs, b.worker.id) ? -1 : 1));
        expect(ranked.considered).toBe(plain.candidates.length);
        expect(ranked.scanned).toBe(plain.scanned);
        expect(ranked.eliminated).toEqual(plain.eliminated);
        expect(ranked.winner).toEqual(scored[0] ?? null);
        expect(ranked.runnerUp).toEqual(scored[1] ?? null);
      }),
      { numRuns: 200 },
    );
  });

  it("compares prices as integers beyond 2^53, where numbers would call them equal", () => {
    const index = new WorkerIndex();
    const cap = 2n ** 60n;
    index.upsert(healthyWorker("over", 50.11, 8.68, { askPerCuBaseUnits: cap + 1n }));
    index.upsert(healthyWorker("at", 50.2, 8.7, { askPerCuBaseUnits: cap }));
    const j: Job = { clientRegion: "eu-central", modelId: "m-ocr", orgId: "c", maxPerCuBaseUnits: cap };
    const d = placeJob(j, index);
    expect(d.workerId).toBe("at");
    expect(d.considered).toBe(1);
    expect(placeJob({ ...j, maxPerCuBaseUnits: cap - 1n }, index).reason?.eliminated.price).toBe(2);
  });

  it("keeps its own frozen copy of a worker", () => {
    const index = new WorkerIndex();
    const w = healthyWorker("a", 50, 8);
    index.upsert(w);
    w.freeSlots = 0;
    expect(index.get("a")?.freeSlots).toBe(4);
    expect(Object.isFrozen(index.get("a"))).toBe(true);
  });

  it("assign takes a slot and counts a selection; it refuses a worker with no free slot", () => {
    const index = new WorkerIndex();
    index.upsert(healthyWorker("a", 50, 8, { freeSlots: 1 }));
    expect(index.assign("a")).toMatchObject({ freeSlots: 0, selections: 1 });
    expect(() => index.assign("a")).toThrow(/no free slot/);
    expect(placeJob({ clientRegion: "eu-central", modelId: "m-ocr", orgId: "c" }, index).reason?.eliminated.slots).toBe(1);
    expect(index.release("a").freeSlots).toBe(1);
    expect(() => index.release("zz")).toThrow(/not in the index/);
  });

  it("rejects invalid workers with a clear error", () => {
    const index = new WorkerIndex();
    expect(() => index.upsert(healthyWorker("a", 91, 0))).toThrow(/invalid worker "a": lat\/lon/);
    expect(() => index.upsert(healthyWorker("b", 0, 0, { freeSlots: -1 }))).toThrow(/freeSlots/);
  });
});

describe("@proofgrid/indexer entry point", () => {
  it("exports the placer, the index and the geography", () => {
    for (const name of ["placeJob", "linearScan", "WorkerIndex", "haversineKm", "estimateRttMs", "scoreWorker", "explainWorker"]) {
      expect(typeof (indexer as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("imports nothing outside the package (pure: no db, no apps, no I/O)", async () => {
    const { readFile, readdir } = await import("node:fs/promises");
    const root = new URL("./", import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "test-networks.ts",
    );
    for (const file of files) {
      const source = await readFile(new URL(file, root), "utf8");
      for (const match of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']/gm)) {
        expect(match[1], `${file} imports ${match[1]}`).toMatch(/^\.\/[\w-]+\.ts$/);
      }
    }
  });
});
