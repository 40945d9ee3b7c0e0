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

export const VERIFICATION_LABEL: Record<string, string> = {
  unverified: "Not sampled",
  pending: "Check pending",
  verified: "Verified",
  disputed: "Disputed",
  inconclusive: "Inconclusive",
  refunded: "Refunded",
};
