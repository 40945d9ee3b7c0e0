// fast-check generators for random networks and jobs, shared by the indexer's tests.
// Not exported from the package entry point.
import fc from "fast-check";
import { REGIONS } from "./geo.ts";
import type { Job, Worker } from "./scoring.ts";

export const MODELS = ["m-ocr", "m-embed", "m-vad"] as const;

const workerShape = fc.record({
  region: fc.constantFrom(...REGIONS),
  dLat: fc.double({ min: -1, max: 1, noNaN: true }),
  dLon: fc.double({ min: -1, max: 1, noNaN: true }),
  orgId: fc.constantFrom("o1", "o2", "o3", "o4"),
  models: fc.subarray([...MODELS], { minLength: 1 }),
  loaded: fc.subarray([...MODELS]),
  freeSlots: fc.integer({ min: 0, max: 3 }),
  askPerCuBaseUnits: fc.bigInt({ min: 1n, max: 2_000_000n }),
  reputation: fc.double({ min: 0, max: 1, noNaN: true }),
  stake: fc.bigInt({ min: 0n, max: 2_000_000_000n }),
  minStakeOk: fc.integer({ min: 0, max: 9 }).map((n) => n !== 0),
  quarantined: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  measuredRttMs: fc.option(fc.double({ min: 0, max: 40, noNaN: true }), { nil: undefined }),
  selections: fc.integer({ min: 0, max: 50 }),
});

export const network = (maxWorkers: number): fc.Arbitrary<Worker[]> =>
  fc.array(workerShape, { maxLength: maxWorkers }).map((shapes) =>
    shapes.map(
      (s, i): Worker => ({
        id: `w${String(i).padStart(4, "0")}`,
        orgId: s.orgId,
        region: s.region.id,
        lat: Math.max(-90, Math.min(90, s.region.lat + s.dLat)),
        lon: Math.max(-180, Math.min(180, s.region.lon + s.dLon)),
        models: s.models,
        loadedModels: s.loaded.filter((m) => s.models.includes(m)),
        freeSlots: s.freeSlots,
        askPerCuBaseUnits: s.askPerCuBaseUnits,
        reputation: s.reputation,
        stake: s.stake,
        minStakeOk: s.minStakeOk,
        quarantined: s.quarantined,
        ...(s.measuredRttMs === undefined ? {} : { measuredRttMs: s.measuredRttMs }),
        selections: s.selections,
      }),
    ),
  );

const location = fc.oneof(
  fc.constantFrom(...REGIONS).map((r) => ({ clientRegion: r.id })),
  fc.record({ clientLat: fc.double({ min: -90, max: 90, noNaN: true }), clientLon: fc.double({ min: -180, max: 180, noNaN: true }) }),
);

export const job: fc.Arbitrary<Job> = fc
  .record({
    location,
    modelId: fc.constantFrom(...MODELS),
    orgId: fc.constantFrom("o1", "o2", "o3", "o4", "client"),
    maxPerCuBaseUnits: fc.option(fc.bigInt({ min: 0n, max: 2_000_000n }), { nil: undefined }),
    maxLatencyMs: fc.option(fc.double({ min: 5, max: 300, noNaN: true }), { nil: undefined }),
  })
  .map(({ location, maxPerCuBaseUnits, maxLatencyMs, ...rest }) => ({
    ...location,
    ...rest,
    ...(maxPerCuBaseUnits === undefined ? {} : { maxPerCuBaseUnits }),
    ...(maxLatencyMs === undefined ? {} : { maxLatencyMs }),
  }));

/** An ordinary healthy worker; tests override what they care about. */
export function healthyWorker(id: string, lat: number, lon: number, extra: Partial<Worker> = {}): Worker {
  return {
    id,
    orgId: `org-${id}`,
    region: "test",
    lat,
    lon,
    models: ["m-ocr"],
    loadedModels: ["m-ocr"],
    freeSlots: 4,
    askPerCuBaseUnits: 500_000n,
    reputation: 0.9,
    stake: 1_000_000_000n,
    minStakeOk: true,
    quarantined: false,
    selections: 0,
    ...extra,
  };
}
