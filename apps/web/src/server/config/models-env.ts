import { parseModelStoreUrl } from "@proofgrid/models/custom/model-store-url";
import { z } from "zod";

/** Custom models (issue 17): where uploaded models are kept and how large they may be. */
export const ZModelsEnv = z.object({
  /** Local directory of the content-addressed model store; default `<PROOFGRID_DATA_DIR>/models`. */
  MODEL_STORE_DIR: z.string().optional(),
  /** An S3-compatible store for the models instead of local disk (README, Custom models):
   * `s3://[KEY_ID:SECRET@]BUCKET[/PREFIX][?endpoint=URL&region=REGION&forcePathStyle=true]`;
   * credentials from the URL or the AWS SDK's own variables (AWS_ACCESS_KEY_ID, …). */
  MODEL_STORE_URL: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        try {
          return parseModelStoreUrl(v);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: (err as Error).message });
          return z.NEVER;
        }
      }),
  ),
  /** Where resumable uploads are staged until they are validated; default `<PROOFGRID_DATA_DIR>/model-uploads`. */
  MODEL_UPLOAD_DIR: z.string().optional(),
  /** Largest model file an organisation may upload. */
  MODEL_UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(2 * 1024 * 1024 * 1024)
    .default(256 * 1024 * 1024),
  /** Uploads an organisation may hold at once (unfinished, or finished and not yet registered):
   * each may take MODEL_UPLOAD_MAX_BYTES of the platform's disk until it expires (24 h). */
  MODEL_UPLOADS_OPEN_PER_ORG: z.coerce.number().int().min(1).max(1_000).default(4),
  /** The validation sandbox's bounds: resident memory of the child process, and wall time. */
  MODEL_SANDBOX_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024 * 1024)
    .max(16 * 1024 * 1024 * 1024)
    .default(1024 * 1024 * 1024),
  MODEL_SANDBOX_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
});
