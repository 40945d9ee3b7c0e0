import { ProcedureError, trpcMutation, trpcQuery } from "./trpc-fetch";

/** Each long-poll asks the server to hold the request this long for the job to finish. */
const WAIT_STEP_MS = 20_000;
/** The playground gives up waiting after this long; the job page keeps the result. */
const WAIT_TOTAL_MS = 180_000;
const TERMINAL = new Set(["succeeded", "failed", "canceled", "expired"]);
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface JobSummary {
  id: string;
  state: string;
  error: string | null;
  output?: unknown;
}

/**
 * What became of a run. `created: false`: the server refused the job (no credits, input too
 * large, bad input, signed out): there is no job, and `message` is the server's reason.
 */
export type JobOutcome =
  | { ok: true; job: JobSummary }
  | { ok: false; created: false; message: string; signInAgain?: boolean }
  | { ok: false; created: true; jobId: string; state: string; message: string; signInAgain?: boolean };

/** The heading over a run that did not succeed: says whether a job exists at all. */
export function outcomeTitle(outcome: Extract<JobOutcome, { ok: false }>): string {
  if (!outcome.created) return "The job was not created";
  return TERMINAL.has(outcome.state) ? `The job ${outcome.state}` : "The job has not finished yet";
}

function refusal(err: unknown): { message: string; signInAgain?: boolean } {
  if (!(err instanceof ProcedureError)) return { message: "The request did not reach the server. Check your connection and try again." };
  if (err.code === "UNAUTHORIZED") return { message: "Your session expired: sign in again, then retry.", signInAgain: true };
  // The server's own words (they name the amount in tokens, the limit, the field), made a sentence.
  const reason = err.message.charAt(0).toUpperCase() + err.message.slice(1);
  const todo = err.code === "PAYMENT_REQUIRED" ? " Add credits to this organisation, then retry." : "";
  return { message: `${reason}${/[.!?]$/.test(reason) ? "" : "."}${todo}` };
}

/** Waits (bounded) for a job to finish and says what to do if it did not succeed. */
export async function followJob(opts: { id: string; signal: AbortSignal; onState: (state: string) => void }): Promise<JobOutcome> {
  let job: JobSummary | undefined;
  try {
    const deadline = Date.now() + WAIT_TOTAL_MS;
    do {
      if (job) opts.onState(job.state);
      job = await trpcQuery<JobSummary>("jobs.get", { id: opts.id, waitMs: WAIT_STEP_MS }, opts.signal);
    } while (!TERMINAL.has(job.state) && Date.now() < deadline);
  } catch (err) {
    return { ok: false, created: true, jobId: opts.id, state: job?.state ?? "unknown", ...refusal(err) };
  }
  if (job.state === "succeeded") return { ok: true, job };
  const why = TERMINAL.has(job.state)
    ? job.error
      ? `${job.error}.`
      : ""
    : "It is still waiting for a worker: its page shows it when it finishes.";
  return { ok: false, created: true, jobId: job.id, state: job.state, message: `${why} Open the job page for details.`.trim() };
}

/**
 * Submits a job with the session and follows it. `onCreated` gets the job's id as soon as it
 * exists (the page keeps it in its address, so a reload picks the job up again).
 */
export async function runJob(opts: {
  model: string;
  input: unknown;
  signal: AbortSignal;
  onState: (state: string) => void;
  onCreated?: (id: string) => void;
}): Promise<JobOutcome> {
  let job: JobSummary;
  try {
    job = await trpcMutation<JobSummary>("jobs.submit", { model: opts.model, input: opts.input }, opts.signal);
  } catch (err) {
    return { ok: false, created: false, ...refusal(err) };
  }
  opts.onCreated?.(job.id);
  if (job.state === "succeeded") return { ok: true, job };
  opts.onState(job.state);
  return followJob({ id: job.id, signal: opts.signal, onState: opts.onState });
}

/** The job id a playground keeps in the page's address (`?ocr=<id>`), or null. */
export function jobInAddress(param: string): string | null {
  const id = new URLSearchParams(window.location.search).get(param);
  return id && JOB_ID.test(id) ? id : null;
}

/** Keeps (or, with null, drops) a playground's job id in the page's address, without a navigation. */
export function keepJobInAddress(param: string, id: string | null): void {
  const url = new URL(window.location.href);
  if (id) url.searchParams.set(param, id);
  else url.searchParams.delete(param);
  window.history.replaceState(window.history.state, "", url);
}
