import type { JobView } from "~/server/services/jobs/job-view";

export const JOB_STATES = ["queued", "assigned", "running", "succeeded", "failed", "canceled", "expired"] as const;
export const TERMINAL = new Set<string>(["succeeded", "failed", "canceled", "expired"]);

export const when = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace("T", " ")} UTC` : "—");

/** Wall time from creation to finish (or "—" while it runs). */
export function duration(job: Pick<JobView, "createdAt" | "finishedAt">): string {
  if (!job.finishedAt) return "—";
  const ms = new Date(job.finishedAt).getTime() - new Date(job.createdAt).getTime();
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * A job's verification state, in the API's own words (`verification` in every job's JSON and
 * the usage CSV), capitalised: one word per state on every page and in the README. `means`
 * says it in a sentence where there is room.
 */
export const VERIFICATION: Record<string, { label: string; means: string }> = {
  unverified: { label: "Unverified", means: "not chosen for a re-check (most jobs are not), or not finished" },
  pending: { label: "Pending", means: "a checker is re-running the job" },
  verified: { label: "Verified", means: "a checker re-ran the job and got the same result" },
  disputed: { label: "Disputed", means: "the checker disagreed: a third executor decides" },
  inconclusive: { label: "Inconclusive", means: "the third executor agreed with neither: nobody is penalised" },
  refunded: { label: "Refunded", means: "the result was proven wrong: you were refunded and may re-run it free" },
};

export const verificationLabel = (v: string) => VERIFICATION[v]?.label ?? v;
