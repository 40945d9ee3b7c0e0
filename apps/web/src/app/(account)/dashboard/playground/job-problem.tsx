import type { Ref } from "react";
import { Alert } from "~/components/ui/alert";
import { JobLink } from "./job-link";
import { type JobOutcome, outcomeTitle } from "./run-job";

/**
 * A run that did not succeed: whether a job exists at all (a refused submit creates none:
 * no credits, too large), the server's reason, and what to do — the job's page when there is
 * one, signing in again when the session ended.
 */
export function JobProblem({ outcome, headingRef }: { outcome: Extract<JobOutcome, { ok: false }>; headingRef?: Ref<HTMLHeadingElement> }) {
  return (
    <div data-testid="job-problem">
      <h3 className="mb-2 text-base font-semibold" ref={headingRef} tabIndex={-1}>
        {outcomeTitle(outcome)}
      </h3>
      <Alert>
        {outcome.message}
        {outcome.signInAgain ? (
          <>
            {" "}
            <a href={`/signin?next=${encodeURIComponent("/dashboard/playground")}&reason=expired`}>Sign in again</a>
          </>
        ) : null}
      </Alert>
      {outcome.created ? <JobLink id={outcome.jobId} /> : null}
    </div>
  );
}
