import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  INITIAL_REPUTATION,
  type ReputationEvent,
  type ReputationState,
  latencyScore,
  reputationFromEvents,
  reputationScore,
  updateReputation,
} from "./reputation.ts";

const event: fc.Arbitrary<ReputationEvent> = fc.oneof(
  fc.record({
    kind: fc.constant("job" as const),
    outcome: fc.constantFrom("succeeded" as const, "failed" as const, "expired" as const),
    latency: fc.option(
      fc.record({
        costMilliCu: fc.integer({ min: 0, max: 100_000 }),
        claimedCuPerHour: fc.integer({ min: 1, max: 1_000_000 }),
        observedMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
      }),
      { nil: undefined },
    ),
  }),
  fc.record({ kind: fc.constant("uptime" as const), online: fc.boolean() }),
  fc.record({ kind: fc.constant("check" as const), passed: fc.boolean() }),
);
const state: fc.Arbitrary<ReputationState> = fc.array(event, { maxLength: 60 }).map((events) => reputationFromEvents(events));
const passed: ReputationEvent = { kind: "check", passed: true };
const failed: ReputationEvent = { kind: "check", passed: false };

describe("reputation", () => {
  it("starts a new worker at 0.5 with full integrity", () => {
    expect(reputationScore(INITIAL_REPUTATION)).toBe(0.5);
    expect(INITIAL_REPUTATION.integrity).toBe(1);
  });

  it("rises with successful, fast jobs and online probes towards 1", () => {
    const good: ReputationEvent[] = [];
    for (let i = 0; i < 200; i++) {
      good.push({ kind: "job", outcome: "succeeded", latency: { costMilliCu: 100, claimedCuPerHour: 3_600, observedMs: 100 } });
      good.push({ kind: "uptime", online: true });
    }
    const score = reputationScore(reputationFromEvents(good));
    expect(score).toBeGreaterThan(0.99);
    expect(score).toBeLessThanOrEqual(1);
  });

  it("halves integrity on a failed check and needs 32 passes to get from 0.5 back to 0.9", () => {
    const afterFail = updateReputation(INITIAL_REPUTATION, failed);
    expect(afterFail.integrity).toBe(0.5);
    expect(reputationScore(afterFail)).toBe(0.25);
    const recovered = (passes: number) =>
      reputationFromEvents(Array<ReputationEvent>(passes).fill(passed), { initial: afterFail }).integrity;
    expect(recovered(31)).toBeLessThan(0.9);
    expect(recovered(32)).toBeGreaterThanOrEqual(0.9);
  });

  it("does not let speed or uptime make up for failed checks", () => {
    let s = INITIAL_REPUTATION;
    for (let i = 0; i < 3; i++) s = updateReputation(s, failed);
    for (let i = 0; i < 500; i++) s = updateReputation(s, { kind: "uptime", online: true });
    expect(reputationScore(s)).toBeLessThanOrEqual(0.125);
  });

  it("scores latency against the worker's own claim, with 20 % slack", () => {
    // 100 milli-CU at 3600 CU/h (reference speed) should take 100 ms.
    expect(latencyScore({ costMilliCu: 100, claimedCuPerHour: 3_600, observedMs: 100 })).toBe(1);
    expect(latencyScore({ costMilliCu: 100, claimedCuPerHour: 3_600, observedMs: 120 })).toBe(1);
    expect(latencyScore({ costMilliCu: 100, claimedCuPerHour: 3_600, observedMs: 240 })).toBeCloseTo(0.5, 12);
    // Claiming twice the capability halves the allowance.
    expect(latencyScore({ costMilliCu: 100, claimedCuPerHour: 7_200, observedMs: 120 })).toBeCloseTo(0.5, 12);
    expect(() => latencyScore({ costMilliCu: 100, claimedCuPerHour: 0, observedMs: 1 })).toThrow(RangeError);
  });

  it("refuses a corrupted state", () => {
    expect(() => reputationScore({ ...INITIAL_REPUTATION, integrity: 1.5 })).toThrow(RangeError);
    expect(() => updateReputation({ ...INITIAL_REPUTATION, success: Number.NaN }, passed)).toThrow(RangeError);
  });

  it("property: every component and the score stay in [0, 1]", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        const s = reputationFromEvents(events);
        for (const value of [s.success, s.latency, s.uptime, s.integrity, reputationScore(s)]) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(1);
        }
        expect(s.events).toBe(events.length);
      }),
    );
  });

  it("property: a failed check never raises the score, a passed one never lowers it", () => {
    fc.assert(
      fc.property(state, (s) => {
        const score = reputationScore(s);
        expect(reputationScore(updateReputation(s, failed))).toBeLessThanOrEqual(score);
        expect(reputationScore(updateReputation(s, passed))).toBeGreaterThanOrEqual(score);
      }),
    );
  });

  it("property: in good standing, one failed check costs more than ten passed checks earn", () => {
    fc.assert(
      fc.property(state, (s) => {
        const score = reputationScore(s);
        fc.pre(s.integrity >= 0.5 && score > 0);
        const loss = score - reputationScore(updateReputation(s, failed));
        const gain = reputationScore(reputationFromEvents(Array<ReputationEvent>(10).fill(passed), { initial: s })) - score;
        expect(loss).toBeGreaterThan(gain);
      }),
    );
  });

  it("property: replay is deterministic and the state is plain JSON", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 50 }), (events) => {
        const s = reputationFromEvents(events);
        expect(reputationFromEvents(events)).toEqual(s);
        expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      }),
    );
  });
});
