import { z } from "zod";
import { ZSubmittedJob } from "./jobs.ts";

/** The batch submit's answer (services/jobs/submit-batch.ts `SubmittedBatch`): every job, in the request's order. */
export const ZSubmittedBatch = z
  .strictObject({
    jobs: z.array(ZSubmittedJob).min(1).describe("The jobs created, in the order of the request's `jobs`."),
  })
  .meta({ id: "SubmittedBatch" });
