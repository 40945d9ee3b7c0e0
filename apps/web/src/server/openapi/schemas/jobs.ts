import { z } from "zod";
import { orNull, ZBaseUnits, ZDateTime, ZJson, ZSha256, ZUuid } from "./common.ts";

export const ZJobState = z.enum(["queued", "assigned", "running", "succeeded", "failed", "canceled", "expired"]).meta({ id: "JobState" });
export const ZVerificationStatus = z
  .enum(["unverified", "pending", "verified", "disputed", "inconclusive", "refunded"])
  .meta({ id: "VerificationStatus", description: "How far the job's result has been verified (proof of result)." });

export const ZQueueEstimate = z
  .strictObject({
    position: z.int().min(0),
    estimatedStartMs: z.int().min(0).nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: "QueueEstimate", description: "While queued: position among this model's queued jobs and an estimated start." });

/** The worker's signed receipt with the platform's countersignature (packages/por receipts/receipt.ts). */
export const ZJobReceipt = z
  .strictObject({
    v: z.literal(1),
    jobId: ZUuid,
    attempt: z.int().min(0),
    modelId: ZSha256,
    inputHash: ZSha256,
    outputHash: ZSha256,
    startedAt: ZDateTime,
    finishedAt: ZDateTime,
    inferenceMs: z.number().min(0),
    nodeId: ZUuid,
    signature: z.string().describe("The worker's ed25519 signature of the other fields."),
    platformSignature: z.string().optional().describe("The platform's countersignature of the receipt with the worker's signature."),
  })
  .meta({ id: "Receipt", description: "Check it offline with the keys from GET /api/v1/public-keys." });

/** jobs/job-view.ts `JobView`. */
export const ZJob = z
  .strictObject({
    id: ZUuid,
    model: z.string().describe("The model's slug."),
    modelId: ZSha256,
    state: ZJobState,
    attempt: z.int().min(0),
    costMilliCu: z.int().min(0),
    price: ZBaseUnits,
    error: z.string().nullable(),
    clientRegion: z.string().nullable(),
    inputHash: ZSha256,
    outputHash: ZSha256.nullable(),
    workerRegion: z.string().nullable(),
    workerId: ZUuid.nullable(),
    receipt: orNull(ZJobReceipt).describe("Null until the job succeeds."),
    verification: ZVerificationStatus,
    notice: z.string().nullable(),
    refunded: ZBaseUnits.nullable(),
    rerunOf: ZUuid.nullable(),
    maxPricePerCu: ZBaseUnits.nullable(),
    unitPrice: ZBaseUnits.nullable(),
    royalty: ZBaseUnits.describe('Of `price`, what the uploaded model\'s owner is paid for the job ("0": none).'),
    placement: ZJson.describe("The indexer's decision: the worker chosen, each term's value and weight, the runner-up."),
    reservationId: ZUuid.nullable(),
    queue: orNull(ZQueueEstimate).optional(),
    createdAt: ZDateTime,
    startedAt: ZDateTime.nullable(),
    finishedAt: ZDateTime.nullable(),
    output: ZJson.optional().describe("The model's output, once the job succeeded."),
    result: z
      .union([
        z.strictObject({
          probabilities: z.array(z.array(z.number())).describe("Per row of the first output: its softmax over the last axis."),
        }),
        z.strictObject({
          top: z
            .array(z.array(z.strictObject({ index: z.int().min(0), label: z.string(), score: z.number() })))
            .describe("Per row of the first output: the 5 most probable classes, by name."),
        }),
      ])
      .optional()
      .describe(
        "With the output of an uploaded model listed with `softmax` or `labels` postprocessing: computed by the platform from the verified `output` (which the receipt covers).",
      ),
  })
  .meta({ id: "Job" });

/** The submit answer: the job, and what was changed in its input to fit the model. */
export const ZSubmittedJob = ZJob.extend({
  inputAdjustments: z
    .array(z.string())
    .optional()
    .describe("Present when the input was converted to fit the model (an image scaled, audio resampled), each change in words."),
}).meta({ id: "SubmittedJob" });

export const ZJobList = z.strictObject({ jobs: z.array(ZJob), nextCursor: ZUuid.nullable() }).meta({ id: "JobList" });

export const ZJobVerification = z
  .strictObject({
    jobId: ZUuid,
    verification: ZVerificationStatus,
    notice: z.string().nullable(),
    receipt: orNull(ZJobReceipt),
    checks: z.array(
      z.strictObject({
        id: ZUuid,
        kind: z.enum(["registration", "standby", "latency", "canary", "reexecution", "dispute", "planted", "audit"]),
        status: z.enum(["waiting", "queued", "leased", "done", "canceled"]),
        verdict: z.enum(["pass", "fail", "fraud", "inconclusive"]).nullable(),
        resolution: z.string().nullable(),
        createdAt: ZDateTime,
        finishedAt: ZDateTime.nullable(),
      }),
    ),
  })
  .meta({ id: "JobVerification" });
