import { getRegionOrThrow } from "@proofgrid/indexer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { locationEvidence } from "./location-check.ts";

const frankfurt = getRegionOrThrow("eu-central");
const hangzhou = getRegionOrThrow("cn-hangzhou");

describe("locationEvidence", () => {
  it("a worker that says Hangzhou but answers a Frankfurt probe in 3 ms is not in Hangzhou", () => {
    const e = locationEvidence({ probe: frankfurt, declared: hangzhou, overheadsMs: [3, 2.5, 4] });
    expect(e?.plausible).toBe(false);
    expect(e?.minPossibleRttMs).toBeGreaterThan(80);
  });

  it("a worker in Hangzhou answering in 200 ms is plausible; 40 ms of that is its own link", () => {
    const e = locationEvidence({ probe: frankfurt, declared: hangzhou, overheadsMs: [200, 210, 190] });
    expect(e?.plausible).toBe(true);
    expect(e?.measuredRttMs).toBeGreaterThan(4);
    expect(e?.measuredRttMs).toBeLessThan(100);
  });

  it("a worker next to the probe is plausible at any speed, and its link delay is what the probe saw beyond the fixed cost", () => {
    const e = locationEvidence({ probe: frankfurt, declared: frankfurt, overheadsMs: [1] });
    expect(e).toMatchObject({ plausible: true, measuredRttMs: 4 });
    expect(locationEvidence({ probe: frankfurt, declared: frankfurt, overheadsMs: [] })).toBeNull();
  });

  it("property: slower answers never make a location less plausible", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -89, max: 89, noNaN: true }),
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        (lat, lon, a, b) => {
          const [fast, slow] = a < b ? [a, b] : [b, a];
          const f = locationEvidence({ probe: frankfurt, declared: { lat, lon }, overheadsMs: [fast] });
          const s = locationEvidence({ probe: frankfurt, declared: { lat, lon }, overheadsMs: [slow] });
          if (f?.plausible) expect(s?.plausible).toBe(true);
        },
      ),
    );
  });
});
