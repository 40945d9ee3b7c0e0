import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { describe, expect, it } from "vitest";
import { signReceipt } from "@proofgrid/por";
import { completeAs, completionOf, jobRow, refusal, setupEncoderMarket, type TestWorker } from "../../testing/job-fixtures.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { completeJob } from "./complete-job.ts";

// Issue 11 finding 6: a worker's completion is checked against the model's output before it
// is stored, countersigned or paid. A padded or malformed result is a 400 that changes
// nothing (the job keeps its lease, no money moves); a real result of the model is paid.

setupServiceDatabase({ name: "complete" });
const market = setupEncoderMarket();

/** The customer's job of `text` (or texts), leased to the worker as the dispatcher and the lease would. */
async function runningJob(w: TestWorker, text: string | string[]): Promise<{ id: string; attempt: number }> {
  const id = await market.submit(text);
  await sql().$executeRaw`
    UPDATE jobs SET state = 'running', node_id = ${w.identity.id}::uuid, attempt = attempt + 1, unit_price = NULL,
      lease_expires_at = now() + interval '1 minute', started_at = now()
    WHERE id = ${id}::uuid`;
  return { id, attempt: (await jobRow(id)).attempt };
}

const vector = (seed: number) => Array.from({ length: 384 }, (_, i) => Math.sin(seed + i) / 10);
const money = async () => {
  const codes = [
    orgAccountCode(market.customer, "available"),
    orgAccountCode(market.customer, "held"),
    orgAccountCode(market.provider, "earnings"),
  ];
  const b = await getBalances(sql(), codes);
  return codes.map((c) => (b.get(c) ?? 0n).toString());
};

describe("a completion whose output is not the model's", () => {
  const junk: [string, (texts: number) => unknown][] = [
    ["padded with an extra field (the 8 MiB attack, smaller)", () => ({ dim: 384, vectors: [vector(1)], pad: "x".repeat(100_000) })],
    ["a vector of the wrong size", () => ({ dim: 384, vectors: [vector(1).slice(0, 100)] })],
    ["too few vectors for its texts", () => ({ dim: 384, vectors: [vector(1)] })],
    ["too many vectors for its texts", (n) => ({ dim: 384, vectors: Array.from({ length: n + 1 }, (_, i) => vector(i)) })],
    ["a number that is not a number", () => ({ dim: 384, vectors: [[...vector(1).slice(0, 383), "0.1"]] })],
    ["another model's output", () => ({ lines: [], width: 10, height: 10 })],
    ["nothing", () => null],
  ];
  for (const [what, make] of junk) {
    it(`is refused with a 400 that stores and pays nothing: ${what}`, async () => {
      const w = await market.worker();
      const texts = ["one text", "and another"];
      const job = await runningJob(w, texts);
      const before = await money();
      const err = await refusal(completeAs(w, job, make(texts.length)));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/output is not a result of encoder-synthetic-minilm/);
      const rows = await sql().$queryRaw<{ state: string; receipt: unknown; output: unknown }[]>`
        SELECT j.state::text AS state, j.receipt, p.output FROM jobs j JOIN job_payloads p ON p.job_id = j.id WHERE j.id = ${job.id}::uuid`;
      expect(rows[0]).toEqual({ state: "running", receipt: null, output: null });
      expect(await money()).toEqual(before);
    });
  }

  it("a real result of the model (one vector per text) is accepted and paid once", async () => {
    const w = await market.worker();
    const job = await runningJob(w, ["first", "second", "third"]);
    const before = await money();
    const output = { dim: 384, vectors: [vector(1), vector(2), vector(3)] };
    expect((await completeAs(w, job, output)).status).toBe("accepted");
    expect((await completeAs(w, job, output)).status).toBe("already_completed");
    const after = await money();
    expect(BigInt(after[1] ?? 0) < BigInt(before[1] ?? 0)).toBe(true); // the hold settled
    expect((await checkLedger(sql())).ok).toBe(true);
    // A single text is one vector.
    const single = await runningJob(w, "only");
    expect((await completeAs(w, single, { dim: 384, vectors: [vector(9)] })).status).toBe("accepted");
  });
});

// The result is stored by the statement that checks the lease and the receipt's claims
// (issue 15): each mismatch below stores, countersigns and pays nothing, and says why.
describe("a completion the lease or the job does not match", () => {
  const output = { dim: 384, vectors: [vector(4)] };
  const stored = async (id: string) =>
    (
      await sql().$queryRaw<{ state: string; receipt: unknown; output: unknown }[]>`
      SELECT j.state::text AS state, j.receipt, p.output FROM jobs j JOIN job_payloads p ON p.job_id = j.id WHERE j.id = ${id}::uuid`
    )[0];
  const sign = (w: TestWorker, job: { id: string; attempt: number }, claims: Partial<Record<"inputHash" | "modelId", string>>) =>
    completionOf(w, job, output).then(async (c) => ({
      ...c,
      receipt: signReceipt({ ...c.receipt, ...claims }, w.privateKey),
    }));

  it("refuses a receipt for another input or model (400), another attempt or node (409), and stores nothing", async () => {
    const w = await market.worker();
    const other = await market.worker();
    const job = await runningJob(w, "the job");
    const before = await money();
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        "another input",
        async () => completeJob({ node: w.identity, request: await sign(w, job, { inputHash: "0".repeat(64) }) }),
        "BAD_REQUEST",
      ],
      [
        "another model",
        async () => completeJob({ node: w.identity, request: await sign(w, job, { modelId: "e".repeat(64) }) }),
        "BAD_REQUEST",
      ],
      ["a stale attempt", () => completeAs(w, { id: job.id, attempt: job.attempt - 1 }, output), "CONFLICT"],
      ["another node", () => completeAs(other, job, output), "CONFLICT"],
    ];
    for (const [what, send, code] of cases) {
      const err = await refusal(send() as Promise<never>);
      expect(err.code, what).toBe(code);
      expect(await stored(job.id), what).toEqual({ state: "running", receipt: null, output: null });
      expect(await money(), what).toEqual(before);
    }
    // The honest result then goes through once, and its retry gets the same countersigned receipt.
    const first = await completeAs(w, job, output);
    expect(first.status).toBe("accepted");
    const again = await completeAs(w, job, output);
    expect(again).toEqual({ ...first, status: "already_completed" });
    // Another output for the stored attempt is not a retry: refused.
    expect((await refusal(completeAs(w, job, { dim: 384, vectors: [vector(5)] }))).code).toBe("CONFLICT");
    expect((await checkLedger(sql())).ok).toBe(true);
  });
});
