import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { submitWait } from "./prefer-wait.ts";

const at = (query: string, prefer?: string) =>
  submitWait(new URL(`http://x/api/v1/jobs${query}`), new Headers(prefer === undefined ? {} : { prefer }));

describe("submitWait", () => {
  it("is null without ?wait= or a wait preference", () => {
    expect(at("")).toBeNull();
    expect(at("", "return=minimal")).toBeNull();
    expect(at("", "respond-async")).toBeNull();
  });

  it("takes ?wait= in milliseconds, up to a minute", () => {
    expect(at("?wait=0")).toEqual({ waitMs: 0, applied: null });
    expect(at("?wait=30000")).toEqual({ waitMs: 30_000, applied: null });
    expect(at("?wait=60000")).toEqual({ waitMs: 60_000, applied: null });
  });

  it("refuses a malformed or too long ?wait= with a 400", () => {
    for (const q of ["?wait=", "?wait=-1", "?wait=1.5", "?wait=abc", "?wait=60001", "?wait=99999999999"]) {
      expect(() => at(q), q).toThrow(AppError);
      try {
        at(q);
      } catch (err) {
        expect((err as AppError).code).toBe("BAD_REQUEST");
      }
    }
  });

  it("takes Prefer: wait= in seconds (RFC 7240), among other preferences, held to a minute", () => {
    expect(at("", "wait=10")).toEqual({ waitMs: 10_000, applied: "wait=10" });
    expect(at("", "return=representation, wait=5")).toEqual({ waitMs: 5_000, applied: "wait=5" });
    expect(at("", 'WAIT="7"')).toEqual({ waitMs: 7_000, applied: "wait=7" });
    expect(at("", "wait=3600")).toEqual({ waitMs: 60_000, applied: "wait=60" });
  });

  it("ignores a malformed preference, and the query wins over the header", () => {
    expect(at("", "wait=soon")).toBeNull();
    expect(at("", "wait=-3")).toBeNull();
    expect(at("", `wait=1${"0".repeat(2_000)}`)).toBeNull();
    expect(at("?wait=250", "wait=30")).toEqual({ waitMs: 250, applied: null });
  });
});
