import { sql } from "@proofgrid/db/sql-client";
import { afterEach, describe, expect, it } from "vitest";
import { resetEnvCache } from "../../env.ts";
import { type JobEvent, jobEvents } from "../../events/job-events.ts";
import { completeAs, jobRow, refusal, setupEncoderMarket, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { getJobOrThrow, waitForJob } from "./get-job.ts";
import { toJobView } from "./job-view.ts";

// Issue 15: a completion hands the customer's waits in its own process the job as its
// transaction committed it, so a synchronous submit's answer needs no read after the result.
// What it hands must be what a read would find: the charge (a worker asking less than the
// cap), the verification (a sampled job is pending), the worker, the output and the receipt.
// It is handed to the job's own organisation only, and never taken from a NOTIFY.

setupServiceDatabase({ name: "handoff", env: { JOB_NOTIFY: "1" } });
const market = setupEncoderMarket();

const vector = (seed: number) => Array.from({ length: 384 }, (_, i) => Math.sin(seed + i) / 10);

/** The customer's job, leased to `w` as the dispatcher would (at `unitPrice` per CU, null: the cap). */
async function runningJob(
  w: TestWorker,
  text: string,
  unitPrice: bigint | null = null,
): Promise<{ id: string; attempt: number; held: bigint }> {
  const id = await market.submit(text);
  const held = (await jobRow(id)).price;
  await sql().$executeRaw`
    UPDATE jobs SET state = 'running', node_id = ${w.identity.id}::uuid, attempt = attempt + 1, unit_price = ${unitPrice},
      lease_expires_at = now() + interval '1 minute', started_at = now(), assigned_at = now()
    WHERE id = ${id}::uuid`;
  return { id, attempt: (await jobRow(id)).attempt, held };
}

/** Completes `job` while a wait of its organisation waits on it; answers the wait's view and the event that woke a wait. */
async function completeWhileWaiting(w: TestWorker, job: { id: string; attempt: number }, seed: number) {
  // A wait of its own beside the customer's, to see the event that wakes them.
  const armed = jobEvents.arm({ on: { jobId: job.id }, filter: (e) => e.state === "succeeded" });
  try {
    const waiting = waitForJob({ orgId: market.customer, jobId: job.id, waitMs: 10_000, fresh: true });
    // Keys out of jsonb's order (shorter first): the answer must still be what a read gives, byte for byte.
    expect((await completeAs(w, job, { vectors: [vector(seed)], dim: 384 })).status).toBe("accepted");
    const view = await waiting;
    expect(await armed.wait(5_000)).toBe(true);
    return { view, event: armed.event as JobEvent };
  } finally {
    armed.cancel();
  }
}

afterEach(() => {
  delete process.env.POR_REEXEC_FLOOR;
  delete process.env.POR_REEXEC_CAP;
  resetEnvCache();
});

describe("a completion's hand-off to the waits in its process", () => {
  it("answers what a read of the job would, for plain, cheaper-worker and sampled jobs", async () => {
    const w = await market.worker();
    let handed = 0;
    const cases: [string, () => Promise<{ id: string; attempt: number; held: bigint }>, () => void][] = [
      ["plain", () => runningJob(w, "plain"), () => {}],
      ["a worker asking less than the cap (charged less than held)", () => runningJob(w, "cheaper", 1n), () => {}],
      [
        "a job sampled for re-execution (verification pending)",
        () => runningJob(w, "sampled"),
        () => {
          process.env.POR_REEXEC_FLOOR = "1";
          process.env.POR_REEXEC_CAP = "1";
          resetEnvCache();
        },
      ],
    ];
    for (const [i, [what, make, before]] of cases.entries()) {
      before();
      const job = await make();
      const { view, event } = await completeWhileWaiting(w, job, i);
      const read = await getJobOrThrow({ orgId: market.customer, jobId: job.id, withQueue: false });
      // The same view, whether the wait used the hand-off or (its NOTIFY came first) read it.
      expect(view, what).toEqual(read);
      expect(JSON.stringify(view), what).toBe(JSON.stringify(read));
      expect(view.state, what).toBe("succeeded");
      if (event.view) {
        handed++;
        expect(event.view.orgId, what).toBe(market.customer);
        expect(JSON.stringify(toJobView(event.view.row, event.view.row.output)), what).toBe(JSON.stringify(read));
      }
      if (what.startsWith("a job sampled")) expect(view.verification, what).toBe("pending");
      if (what.startsWith("a worker asking less")) expect(BigInt(view.price), what).toBeLessThan(job.held);
      else expect(BigInt(view.price), what).toBe(job.held);
    }
    // The completion's local delivery usually comes before its NOTIFY: the hand-off was used.
    expect(handed).toBeGreaterThan(0);
  });

  it("hands nothing to another organisation's wait: it reads, and the job is not found", async () => {
    const w = await market.worker();
    const other = await createOrg("handoff-other", "customer", 1_000_000n);
    const job = await runningJob(w, "not yours");
    // A wait that skips its first read (as a submit's own wait does) on another organisation's job id.
    const waiting = waitForJob({ orgId: other, jobId: job.id, waitMs: 5_000, fresh: true }).catch((e: unknown) => e);
    expect((await completeAs(w, job, { dim: 384, vectors: [vector(7)] })).status).toBe("accepted");
    const err = await waiting;
    expect(err).toMatchObject({ code: "NOT_FOUND" });
    // Its owner still gets it.
    expect((await getJobOrThrow({ orgId: market.customer, jobId: job.id })).state).toBe("succeeded");
    await expect(refusal(getJobOrThrow({ orgId: other, jobId: job.id }))).resolves.toMatchObject({ code: "NOT_FOUND" });
  });

  it("subscribers to every event (the dispatcher) never get a view; a wait on another job is not handed one", async () => {
    const w = await market.worker();
    const job = await runningJob(w, "subscribers");
    const seen: JobEvent[] = [];
    const off = await jobEvents.subscribe((e) => {
      if (e.id === job.id) seen.push(e);
    });
    try {
      const waiting = waitForJob({ orgId: market.customer, jobId: job.id, waitMs: 10_000, fresh: true });
      await completeAs(w, job, { dim: 384, vectors: [vector(11)] });
      await waiting;
    } finally {
      off();
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const e of seen) expect(Object.keys(e).sort()).toEqual(["id", "node_id", "state"]);
  });

  it("the completion's answer to the worker carries only its status and receipt", async () => {
    const w = await market.worker();
    const job = await runningJob(w, "the worker's answer");
    const reply = await completeAs(w, job, { dim: 384, vectors: [vector(8)] });
    expect(Object.keys(reply).sort()).toEqual(["receipt", "status"]);
  });
});
