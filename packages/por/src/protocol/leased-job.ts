import { z } from "zod";
import { ZCustomModelRun } from "./custom-model-run.ts";

/** The node protocol's lease reply: one job and the attempt (fencing token) it is leased at. */
export const ZLeasedJob = z.object({
  jobId: z.uuid(),
  /** The fencing token: every later message about the job names it. */
  attempt: z.number().int().min(1),
  /** sha256 of the model file(s): the worker signs it into the receipt. */
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  modelSlug: z.string().min(1),
  input: z.unknown(),
  leaseExpiresAt: z.iso.datetime(),
  /** The worker heartbeats three times per lease, so a zero or negative lease is refused. */
  leaseMs: z.number().int().positive(),
  /** Set for a customer's uploaded model (slug `custom-…`, issue 17): what running it takes
   * besides the file. Absent for catalog models. */
  custom: ZCustomModelRun.optional(),
});
export type LeasedJob = z.infer<typeof ZLeasedJob>;
