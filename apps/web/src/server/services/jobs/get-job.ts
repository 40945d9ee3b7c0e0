import { selectJobView } from "@proofgrid/db/jobs";
import { sql } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { jobEvents } from "../../events/job-events.ts";
import { quoteJob } from "../market/quote.ts";
import { queueEstimate } from "./backpressure.ts";
import { type JobView, TERMINAL_STATES, toJobView } from "./job-view.ts";

// Another organisation's job id answers exactly like an unknown id: no existence oracle.
export async function getJobOrThrow(opts: { orgId: string; jobId: string; withOutput?: boolean; withQueue?: boolean }): Promise<JobView> {
  if (!/^[0-9a-f-]{36}$/i.test(opts.jobId)) throw new AppError("NOT_FOUND", "job not found");
  const withOutput = opts.withOutput !== false;
  const row = await selectJobView(sql(), { orgId: opts.orgId, jobId: opts.jobId, withOutput });
  if (!row) throw new AppError("NOT_FOUND", "job not found");
  const view = toJobView(row, withOutput ? (row.output ?? null) : undefined);
  if (row.state === "queued" && opts.withQueue !== false) {
    view.queue = await queueEstimate({ modelId: row.model.id, createdAt: row.createdAt });
    // Why it is still waiting, when no worker could take it even if one were free: the
    // indexer's own answer for this job's model, region and price cap (as POST /quote gives).
    if (!row.pinnedNodeId && Date.now() - row.createdAt.getTime() > 1_000) {
      const quote = await quoteJob({
        orgId: opts.orgId,
        request: { model: row.model.slug, region: row.clientRegion ?? undefined, maxPricePerCu: row.maxPricePerCu ?? undefined },
      }).catch(() => null);
      if (quote?.reason && quote.reason.code !== "all_busy") view.queue.reason = quote.reason.advice;
    }
  }
  return view;
}

/**
 * Long-poll: returns when the job reaches a terminal state or after `waitMs`. `fresh`: the
 * caller has just submitted the job (it is queued), so the wait starts without reading it.
 */
export async function waitForJob(opts: {
  orgId: string;
  jobId: string;
  waitMs: number;
  signal?: AbortSignal;
  fresh?: boolean;
}): Promise<JobView> {
  const deadline = Date.now() + opts.waitMs;
  let read = !opts.fresh;
  for (;;) {
    // Listening before the read: a job that ends while it runs wakes the wait below at once.
    const ended = jobEvents.arm({ on: { jobId: opts.jobId }, filter: (e) => TERMINAL_STATES.has(e.state), signal: opts.signal });
    try {
      const left = deadline - Date.now();
      if (read || left <= 0 || opts.signal?.aborted) {
        // The queue estimate and its reason are computed once, for the view returned, not on
        // every wake-up of the wait.
        const job = await getJobOrThrow({ ...opts, withQueue: false });
        if (TERMINAL_STATES.has(job.state)) return job;
        if (deadline - Date.now() <= 0 || opts.signal?.aborted) return job.state === "queued" ? getJobOrThrow(opts) : job;
      }
      read = true;
      if (await ended.wait(Math.min(deadline - Date.now(), 1_000))) {
        // Woken by the completion in this process: it handed over the job as it committed it,
        // so the answer needs no read (the organisation's own job only; a NOTIFY carries none).
        const handed = ended.event?.view;
        if (handed && handed.orgId === opts.orgId && handed.row.id === opts.jobId) return toJobView(handed.row, handed.row.output ?? null);
      }
    } finally {
      ended.cancel();
    }
  }
}
