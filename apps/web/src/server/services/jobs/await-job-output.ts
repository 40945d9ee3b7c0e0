import { AppError } from "../../errors.ts";
import { waitForJob } from "./get-job.ts";
import type { JobView } from "./job-view.ts";

/**
 * For the synchronous protocols (OpenAI's /v1, the Open Inference Protocol's /v2): waits for
 * a submitted job the way `GET /api/v1/jobs/:id?wait=` does and returns it once it succeeded.
 * A job still running after `waitMs` is a 503 naming the job (it still runs and bills; the
 * client fetches it later); a failed or canceled one is a 500 with the job's error. The job
 * was just submitted by the caller: the wait starts without reading it.
 */
export async function awaitJobOutput(opts: { orgId: string; jobId: string; waitMs: number; signal?: AbortSignal }): Promise<JobView> {
  const job = await waitForJob({ ...opts, fresh: true });
  if (job.state === "succeeded") return job;
  if (job.state === "queued" || job.state === "assigned" || job.state === "running") {
    throw new AppError(
      "UNAVAILABLE",
      `job ${job.id} did not finish within ${opts.waitMs / 1000} s; fetch it with GET /api/v1/jobs/${job.id}`,
      { retryAfterSeconds: 5 },
    );
  }
  throw new AppError("INTERNAL", `job ${job.id} ${job.state}: ${job.error ?? "no error given"}`);
}
