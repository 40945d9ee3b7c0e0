import { describe, expect, it } from "vitest";
import { type CpuProfile, placeOf, summarizeCpuProfile } from "./cpu-profile.ts";

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });

describe("summarizeCpuProfile", () => {
  it("attributes each sample's time to its leaf frame's place and function, idle left out", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", "") },
        { id: 2, callFrame: frame("(idle)", "") },
        { id: 3, callFrame: frame("parse", "file:///x/node_modules/pg-protocol/dist/parser.js") },
        { id: 4, callFrame: frame("render", "file:///x/apps/web/.next/server/chunks/abc.js") },
        { id: 5, callFrame: frame("(garbage collector)", "") },
      ],
      startTime: 0,
      endTime: 10_000,
      samples: [2, 3, 3, 4, 2, 5],
      // The first delta is the gap before the first sample: a sample's time is the delta after it.
      timeDeltas: [0, 1000, 2000, 500, 4000, 300],
    };
    const s = summarizeCpuProfile(profile);
    expect(s.busyMs).toBeCloseTo(2 + 0.5 + 4 + 0, 6);
    expect(s.byPlace).toEqual([
      { place: "app (bundled)", ms: 4 },
      { place: "pg-protocol", ms: 2.5 },
      { place: "(garbage collector)", ms: 0 },
    ]);
    expect(s.byFunction[0]).toMatchObject({ fn: "render abc.js:10", place: "app (bundled)", ms: 4 });
  });

  it("names places by package, scope included, and by workspace folder", () => {
    expect(placeOf(frame("f", "file:///r/node_modules/@prisma/client/runtime/x.js"))).toBe("@prisma/client");
    expect(placeOf(frame("f", "file:///r/node_modules/next/dist/server/x.js"))).toBe("next");
    expect(placeOf(frame("f", "node:internal/streams/readable"))).toBe("node internals");
    expect(placeOf(frame("f", "file:///r/packages/db/src/sql-client.ts"))).toBe("packages/db");
    expect(placeOf(frame("(program)", ""))).toBe("(program)");
  });
});
