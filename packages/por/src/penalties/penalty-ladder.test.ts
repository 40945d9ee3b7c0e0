import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CheckVerdict, penaltyForChecks, penaltySeverity } from "./penalty-ladder.ts";

const verdicts = fc.array(fc.constantFrom<CheckVerdict>("pass", "pass", "pass", "fail", "fraud"), { maxLength: 60 });

describe("penaltyForChecks", () => {
  it("climbs the ladder: none → lower_priority → quarantine → slash", () => {
    expect(penaltyForChecks({ verdicts: [] })).toEqual({ action: "none", failuresInWindow: 0, fraudInWindow: 0, priorityFactor: 1 });
    expect(penaltyForChecks({ verdicts: ["pass", "fail"] })).toMatchObject({ action: "lower_priority", priorityFactor: 0.5 });
    expect(penaltyForChecks({ verdicts: ["fail", "pass", "fail"] })).toMatchObject({ action: "lower_priority", priorityFactor: 0.25 });
    expect(penaltyForChecks({ verdicts: ["fail", "fail", "fail"] })).toMatchObject({ action: "quarantine", priorityFactor: 0 });
    expect(penaltyForChecks({ verdicts: ["pass", "fraud"] })).toMatchObject({ action: "slash", fraudInWindow: 1, priorityFactor: 0 });
  });

  it("forgets failures that leave the window", () => {
    const old: CheckVerdict[] = ["fail", "fail", "fail"];
    expect(penaltyForChecks({ verdicts: [...old, ...Array<CheckVerdict>(19).fill("pass")] })).toMatchObject({
      action: "lower_priority",
      failuresInWindow: 1,
    });
    expect(penaltyForChecks({ verdicts: [...old, ...Array<CheckVerdict>(20).fill("pass")] }).action).toBe("none");
  });

  it("refuses bad policies and verdicts", () => {
    expect(() => penaltyForChecks({ verdicts: [], policy: { window: 0, quarantineAfter: 3 } })).toThrow(RangeError);
    expect(() => penaltyForChecks({ verdicts: ["maybe" as CheckVerdict] })).toThrow(/unknown check verdict/);
  });

  it("property: another failure or fraud never makes the standing less severe", () => {
    fc.assert(
      fc.property(verdicts, fc.constantFrom<CheckVerdict>("fail", "fraud"), (history, bad) => {
        // Keep the window fixed: compare against the same last 19 checks.
        const recent = history.slice(-19);
        const before = penaltyForChecks({ verdicts: recent });
        const after = penaltyForChecks({ verdicts: [...recent, bad] });
        expect(penaltySeverity(after.action)).toBeGreaterThanOrEqual(penaltySeverity(before.action));
        expect(after.priorityFactor).toBeLessThanOrEqual(before.priorityFactor);
      }),
    );
  });

  it("property: slash exactly when fraud is in the window; never without it", () => {
    fc.assert(
      fc.property(verdicts, (history) => {
        const decision = penaltyForChecks({ verdicts: history });
        expect(decision.action === "slash").toBe(history.slice(-20).includes("fraud"));
        expect(decision.priorityFactor).toBeGreaterThanOrEqual(0);
        expect(decision.priorityFactor).toBeLessThanOrEqual(1);
      }),
    );
  });
});
