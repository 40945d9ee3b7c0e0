// Uploaded models (issue 17): what the catalog says of a model an organisation uploaded, the
// tus upload's creation answer, and a deletion's.
import { POSTPROCESSING, PREPROCESSING } from "@proofgrid/models/custom/processing";
import { z } from "zod";
import { ZDateTime, ZSha256 } from "./common.ts";

export const ZCustomModelFacts = z
  .strictObject({
    visibility: z.enum(["private", "public"]).describe("`private`: the owning organisation only; `public`: listed for everyone."),
    ownedByYou: z.boolean().describe("Your organisation uploaded it; false: another organisation's public model."),
    fileBytes: z.int().min(0),
    deterministic: z.boolean().describe("Two runs on the same input gave the same bytes when it was validated."),
    preprocessing: z
      .enum(PREPROCESSING)
      .describe("What a job's input may be besides the model's tensors: `image` ({image: base64}), `text` ({text}); `raw`: tensors only."),
    postprocessing: z
      .enum(POSTPROCESSING)
      .describe("What a job's view adds to the raw outputs: `softmax` (result.probabilities), `labels` (result.top); `raw`: nothing."),
    mean: z.array(z.number()).optional().describe("`image`: the per-channel mean of pixels scaled to 0..1."),
    std: z.array(z.number()).optional().describe("`image`: the per-channel standard deviation."),
    labels: z
      .array(z.string())
      .optional()
      .describe(
        "`labels`: the class names, in the order of the first output's last axis (GET /api/v1/models/{id}; a list gives `labelCount`).",
      ),
    labelCount: z.int().min(0).optional().describe("`labels`: how many classes are named."),
    royalty: z
      .string()
      .regex(/^[0-9]{1,19}$/)
      .describe("Base units the owner is paid per job another organisation runs on it; your own jobs on your model pay none."),
    owner: z.string().describe("The name of the organisation whose listing this is."),
    createdAt: ZDateTime,
  })
  .meta({ id: "CustomModelFacts" });

export const ZUploadCreated = z
  .strictObject({
    id: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .describe("The upload's id: PATCH its bytes to `location`, then POST it to /api/v1/models as `uploadId`."),
    location: z.string().describe("The upload's URL (also the `Location` header), relative to this host."),
    maxBytes: z.int().min(1).describe("The largest model file an upload may be."),
  })
  .meta({ id: "UploadCreated" });

export const ZDeletedModel = z.strictObject({ id: ZSha256, deleted: z.literal(true) }).meta({ id: "DeletedModel" });
