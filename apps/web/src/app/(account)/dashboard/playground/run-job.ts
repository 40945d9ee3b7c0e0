import { ProcedureError, trpcMutation, trpcQuery } from "./trpc-fetch";

/** Each long-poll asks the server to hold the request this long for the job to finish. */
const WAIT_STEP_MS = 20_000;
/** The playground gives up waiting after this long; the job page keeps the result. */
const WAIT_TOTAL_MS = 180_000;
const TERMINAL = new Set(["succeeded", "failed", "canceled", "expired"]);

export interface JobSummary {
  id: string;
  state: string;
  error: string | null;
  output?: unknown;
}

export type JobOutcome = { ok: true; job: JobSummary } | { ok: false; message: string; jobId?: string };

/** Submits a job with the session, waits for it (bounded), and says what to do if it did not succeed. */
export async function runJob(opts: {
  model: string;
  input: unknown;
  signal: AbortSignal;
  onState: (state: string) => void;
}): Promise<JobOutcome> {
  let jobId: string | undefined;
  try {
    let job = await trpcMutation<JobSummary>("jobs.submit", { model: opts.model, input: opts.input }, opts.signal);
    jobId = job.id;
    const deadline = Date.now() + WAIT_TOTAL_MS;
    while (!TERMINAL.has(job.state) && Date.now() < deadline) {
      opts.onState(job.state);
      job = await trpcQuery<JobSummary>("jobs.get", { id: job.id, waitMs: WAIT_STEP_MS }, opts.signal);
    }
    if (job.state === "succeeded") return { ok: true, job };
    const why = TERMINAL.has(job.state)
      ? `The job ${job.state}${job.error ? `: ${job.error}` : "."}`
      : "The job is still waiting for a worker.";
    return { ok: false, message: `${why} Open the job page for details.`, jobId: job.id };
  } catch (err) {
    const message =
      err instanceof ProcedureError
        ? err.code === "UNAUTHORIZED"
          ? "Your session has ended. Sign in again, then retry."
          : err.message
        : "The request did not reach the server. Check your connection and try again.";
    return { ok: false, message, jobId };
  }
}
