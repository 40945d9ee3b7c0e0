"use client";

import { type RefObject, useEffect, useRef } from "react";
import { followJob, type JobOutcome, type JobSummary, jobInAddress } from "./run-job";

export interface JobInAddressHandlers {
  /** Says what is happening ("Picking up your job…", "Job running…"). */
  running(message: string): void;
  /** The job succeeded: show its result (a playground may fetch more with `signal`). */
  done(id: string, job: JobSummary, signal: AbortSignal): void | Promise<void>;
  failed(outcome: Extract<JobOutcome, { ok: false }>): void;
}

/**
 * A playground's job in the page's address (`?<param>=<job id>`, kept there while it runs):
 * after a reload mid-job or from a shared link, follows that job to its result, once, when
 * the page loads. `abort` is the playground's own controller, so a new run stops it.
 */
export function useJobInAddress(param: string, abort: RefObject<AbortController | null>, handlers: JobInAddressHandlers): void {
  const on = useRef(handlers);
  on.current = handlers;
  useEffect(() => {
    const id = jobInAddress(param);
    if (!id) return;
    const ctrl = new AbortController();
    abort.current = ctrl;
    on.current.running("Picking up your job…");
    void followJob({ id, signal: ctrl.signal, onState: (s) => on.current.running(`Job ${s}…`) }).then(async (outcome) => {
      if (ctrl.signal.aborted) return;
      if (outcome.ok) await on.current.done(id, outcome.job, ctrl.signal);
      else on.current.failed(outcome);
    });
  }, [param, abort]);
}
