import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./db-errors.ts";

// Shapes copied from the web app's log during tests/e2e/postgres-restart.test.ts.
describe("isDatabaseUnavailable", () => {
  it("knows a restarting or unreachable server in every wrapping seen", () => {
    expect(isDatabaseUnavailable({ code: "57P01", message: "terminating connection due to administrator command" })).toBe(true);
    expect(isDatabaseUnavailable({ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:40873" })).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
    expect(isDatabaseUnavailable({ code: "P1001", meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } } })).toBe(true);
    expect(isDatabaseUnavailable({ code: "P2039", meta: { driverAdapterError: { cause: { kind: "postgres", code: "57P03" } } } })).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error("wrapped", { cause: { code: "57P02" } }))).toBe(true);
    // A server down has no Unix socket file.
    expect(isDatabaseUnavailable({ code: "ENOENT", syscall: "connect", message: "connect ENOENT /d/.s.PGSQL.5432" })).toBe(true);
    // Its accept queue full: refused at once.
    expect(isDatabaseUnavailable({ code: "EAGAIN", message: "connect EAGAIN /d/.s.PGSQL.5432" })).toBe(true);
  });

  it("leaves every other error a 500", () => {
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable({ code: "23505", message: "duplicate key" })).toBe(false);
    expect(isDatabaseUnavailable({ code: "P2039", meta: { driverAdapterError: { cause: { kind: "postgres", code: "22P05" } } } })).toBe(
      false,
    );
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
    // A missing file is an outage only when connecting.
    expect(isDatabaseUnavailable({ code: "ENOENT", syscall: "open", message: "ENOENT: no such file or directory" })).toBe(false);
    // A cycle of causes ends at the depth bound.
    const a: { cause?: unknown } = {};
    a.cause = a;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});
