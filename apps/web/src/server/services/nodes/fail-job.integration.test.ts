import { checkLedger } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { describe, expect, it } from "vitest";
import { jobRow, orgBalances, refusal, setupEncoderMarket, type TestWorker, transfersOf } from "../../testing/job-fixtures.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { failJob } from "./fail-job.ts";
import { leaseJob } from "./lease-job.ts";

// A worker's reported failure against a real Postgres: the job goes back to the queue while
// it has attempts left and is then failed, with the customer's hold released to the base
// unit; only the node holding the current attempt can hand a job back.

setupServiceDatabase({ name: "fail", env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000" } });

const market = setupEncoderMarket();

/** The dispatcher offers the job to the (only online) worker and the worker leases it. */
async function runOn(w: TestWorker, jobId: string): Promise<number> {
  expect((await new Dispatcher().tick()).placed).toBe(1);
  const leased = await leaseJob({ node: w.identity, waitMs: 0 });
  expect(leased?.jobId).toBe(jobId);
  return leased?.attempt ?? 0;
}

describe("failJob", () => {
  it("hands a retryable failure back to the queue until max attempts, then fails the job and releases the hold exactly", async () => {
    const w = await market.worker();
    const before = await orgBalances(market.customer);
    const id = await market.submit("crashes every worker");
    const { price, maxAttempts } = await jobRow(id);
    expect(maxAttempts).toBe(3);
    const holding = { available: before.available - price, held: before.held + price };

    for (let n = 1; n < maxAttempts; n++) {
      expect(await runOn(w, id)).toBe(n);
      const reply = await failJob({
        node: w.identity,
        request: { jobId: id, attempt: n, kind: "error", retryable: true, error: `crash ${n}` },
      });
      expect(reply).toEqual({ state: "queued" });
      expect(await jobRow(id)).toMatchObject({
        state: "queued",
        nodeId: null,
        attempt: n,
        maxAttempts,
        error: `crash ${n}`,
        leaseExpiresAt: null,
      });
      // Still held: the job may yet run.
      expect(await orgBalances(market.customer)).toEqual(holding);
    }

    expect(await runOn(w, id)).toBe(maxAttempts);
    const last = await failJob({
      node: w.identity,
      request: { jobId: id, attempt: maxAttempts, kind: "error", retryable: true, error: `crash ${maxAttempts}` },
    });
    expect(last).toEqual({ state: "failed" });
    const row = await jobRow(id);
    expect(row).toMatchObject({ state: "failed", attempt: maxAttempts, error: `crash ${maxAttempts}`, leaseExpiresAt: null });
    expect(row.attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "failed"]);
    expect(await orgBalances(market.customer)).toEqual(before);
    expect(await transfersOf(id)).toEqual(["hold", "release"]);

    // Reported again (a retried request): refused, and the hold is not released twice.
    const again = await refusal(
      failJob({ node: w.identity, request: { jobId: id, attempt: maxAttempts, kind: "error", retryable: true, error: "again" } }),
    );
    expect(again.code).toBe("CONFLICT");
    expect(await orgBalances(market.customer)).toEqual(before);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("fails a job at once on an error in its input (not retryable) and releases the hold", async () => {
    const w = await market.worker();
    const before = await orgBalances(market.customer);
    const id = await market.submit("an input no worker can run");
    expect(await runOn(w, id)).toBe(1);
    const reply = await failJob({
      node: w.identity,
      request: { jobId: id, attempt: 1, kind: "error", retryable: false, error: "bad input" },
    });
    expect(reply).toEqual({ state: "failed" });
    expect(await jobRow(id)).toMatchObject({ state: "failed", attempt: 1, error: "bad input" });
    expect(await orgBalances(market.customer)).toEqual(before);
    expect(await transfersOf(id)).toEqual(["hold", "release"]);
  });

  it("takes a job a worker releases unrun (shutting down) back without burning an attempt", async () => {
    const w = await market.worker();
    const id = await market.submit("released");
    const { maxAttempts, price } = await jobRow(id);
    expect(await runOn(w, id)).toBe(1);
    const reply = await failJob({ node: w.identity, request: { jobId: id, attempt: 1, kind: "release", retryable: true, error: "" } });
    expect(reply).toEqual({ state: "queued" });
    const row = await jobRow(id);
    // One more attempt allowed, so the release costs the job none of its retries.
    expect(row).toMatchObject({ state: "queued", nodeId: null, attempt: 1, maxAttempts: maxAttempts + 1, error: null });
    expect(row.attempts).toEqual([{ attempt: 1, nodeId: w.identity.id, outcome: "released" }]);
    expect(await transfersOf(id)).toEqual(["hold"]);
    expect(price).toBeGreaterThan(0n);
  });

  it("refuses a hand-back from a node that does not hold the current attempt and changes nothing", async () => {
    const w = await market.worker();
    const id = await market.submit("not yours");
    expect(await runOn(w, id)).toBe(1);
    const stranger = await market.worker({ status: "offline" });
    const before = { row: await jobRow(id), balances: await orgBalances(market.customer) };

    const foreign = await refusal(
      failJob({ node: stranger.identity, request: { jobId: id, attempt: 1, kind: "error", retryable: false, error: "x" } }),
    );
    expect(foreign.code).toBe("CONFLICT");
    const stale = await refusal(
      failJob({ node: w.identity, request: { jobId: id, attempt: 0, kind: "error", retryable: false, error: "x" } }),
    );
    expect(stale.code).toBe("CONFLICT");
    const missing = await refusal(
      failJob({
        node: w.identity,
        request: { jobId: "00000000-0000-4000-8000-000000000000", attempt: 1, kind: "error", retryable: true, error: "" },
      }),
    );
    expect(missing.code).toBe("NOT_FOUND");

    expect(await jobRow(id)).toEqual(before.row);
    expect(await orgBalances(market.customer)).toEqual(before.balances);
  });
});
