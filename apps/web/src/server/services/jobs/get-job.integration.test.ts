import { sql } from "@proofgrid/db/sql-client";
import { describe, expect, it } from "vitest";
import { db } from "../../db.ts";
import { completeAs, encoderOutput, jobRow, refusal, setupEncoderMarket } from "../../testing/job-fixtures.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { getJobOrThrow, waitForJob } from "./get-job.ts";
import { jobViewSelect, toJobView } from "./job-view.ts";

// The customer's view of a job is read in one statement (selectJobView) on the data plane's
// hot path. It must be the view the ORM's select gives (list-jobs still reads that way),
// field for field, in every state a customer can see.

setupServiceDatabase({ name: "get_job" });
const market = setupEncoderMarket();

/** The view as built from the ORM's relation-loading select. */
async function viewByOrm(jobId: string, withOutput: boolean) {
  const row = await db().job.findFirstOrThrow({
    where: { id: jobId },
    select: { ...jobViewSelect, payload: { select: { output: true } } },
  });
  return toJobView(row, withOutput ? (row.payload?.output ?? null) : undefined);
}

describe("getJobOrThrow", () => {
  it("gives the ORM's view of a queued job, with no worker and no output yet", async () => {
    const id = await market.submit("hello");
    const view = await getJobOrThrow({ orgId: market.customer, jobId: id, withQueue: false });
    expect(view).toEqual(await viewByOrm(id, true));
    expect(view.workerId).toBeNull();
    expect(view.output).toBeNull();
  });

  it("gives the ORM's view of a finished job: worker, receipt, price and output; without the output when not asked", async () => {
    const w = await market.worker();
    const id = await market.submit(["a", "b"]);
    await sql().$executeRaw`
      UPDATE jobs SET state = 'running', node_id = ${w.identity.id}::uuid, attempt = attempt + 1,
        lease_expires_at = now() + interval '1 minute', started_at = now(), max_price_per_cu = 7
      WHERE id = ${id}::uuid`;
    await completeAs(w, { id, attempt: (await jobRow(id)).attempt }, encoderOutput(2));
    const view = await waitForJob({ orgId: market.customer, jobId: id, waitMs: 5_000 });
    expect(view.state).toBe("succeeded");
    expect(view).toEqual(await viewByOrm(id, true));
    expect(view.workerId).toBe(w.identity.id);
    expect(view.maxPricePerCu).toBe("7");
    expect((view.output as { vectors: unknown[] }).vectors).toHaveLength(2);
    const lean = await getJobOrThrow({ orgId: market.customer, jobId: id, withOutput: false });
    expect(lean).toEqual(await viewByOrm(id, false));
    expect("output" in lean).toBe(false);
  });

  it("answers another organisation's job, an unknown id and a malformed one alike: not found", async () => {
    const id = await market.submit("mine");
    for (const [orgId, jobId] of [
      [market.provider, id],
      [market.customer, "00000000-0000-4000-8000-000000000000"],
      [market.customer, "not-a-uuid"],
    ] as const) {
      const err = await refusal(getJobOrThrow({ orgId, jobId }));
      expect(err.code).toBe("NOT_FOUND");
    }
  });
});
