/**
 * Registers an uploaded model (issue 17): the finished upload's bytes are checked by
 * validateOnnx, then run in the sandbox under the configured limits; only a model that passes
 * both is put in the content store (id = sha256 of its bytes) and given a catalog row and the
 * organisation's ownership. A refused model is a 422 with the check's reason (413 for a size
 * limit), and nothing is stored. The same bytes again from the same organisation answer its
 * existing model (200); from another organisation, that organisation gets its own ownership
 * of the same model (same id, same stored file) under its own name and visibility.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  conflictingPublicProcessing,
  insertModelOwnership,
  insertUploadedModel,
  listVisibleCustomModels,
} from "@proofgrid/db/models/custom-models";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { runInSandbox } from "@proofgrid/models/custom/sandbox-run";
import { POSTPROCESSING, PREPROCESSING, PROCESSING_LIMITS, type Processing, processingProblem } from "@proofgrid/models/custom/processing";
import { ONNX_LIMITS, type OnnxSignature, OnnxValidationError, validateOnnx } from "@proofgrid/models/custom/validate-onnx";
import { z } from "zod";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { pgText } from "../../http/safe-text.ts";
import { logger } from "../../logger.ts";
import { customModelView } from "./list-models.ts";
import { modelStore } from "./model-store.ts";
import { MAX_ROYALTY_BASE_UNITS } from "./model-royalty.ts";
import { publishConflict } from "./publish-conflict.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { getFinishedUpload, removeUpload, UPLOAD_ID } from "./model-uploads.ts";

/** Sandbox runs at once in this process: each may take MODEL_SANDBOX_MEMORY_BYTES and a core. */
const MAX_CONCURRENT_VALIDATIONS = 2;
let validating = 0;
/** Uploads being registered now: a second registration of one waits for nothing, it is a 409. */
const registering = new Set<string>();

/** A royalty per job in base units: a decimal string or integer, 0 to MAX_ROYALTY_BASE_UNITS. */
export const ZRoyalty = z
  .union([
    z.string().regex(/^(0|[1-9][0-9]{0,9})$/, "a whole number of base units"),
    z.number().int().min(0).max(Number(MAX_ROYALTY_BASE_UNITS)),
  ])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_ROYALTY_BASE_UNITS, { message: `at most ${MAX_ROYALTY_BASE_UNITS} base units (1000 tokens) per job` });

const ZModelOptions = z.strictObject({
  name: pgText().trim().min(1).max(100).describe("Your name for the model; shown to others only if it is public."),
  visibility: z
    .enum(["private", "public"])
    .default("private")
    .describe("`private`: your organisation only; `public`: listed for everyone."),
  preprocessing: z
    .enum(PREPROCESSING)
    .default("raw")
    .describe(
      "What is done to a job's input before the run: `raw` (the model's tensors, `{inputs: [...]}`); `image` (`{image: base64 PNG, JPEG or WebP}` scaled to the model's H×W and written as normalised NCHW float32, (pixel/255 − mean)/std); `text` (`{text}` as BERT WordPiece ids from the catalog's tokenizer, with the attention mask and token types the model takes). Tensors are always accepted too.",
    ),
  postprocessing: z
    .enum(POSTPROCESSING)
    .default("raw")
    .describe(
      "What a job's view adds to the model's raw outputs: `raw` nothing; `softmax` the first output's probabilities over its last axis (`result.probabilities`); `labels` its 5 most probable classes by name (`result.top`, names from `labels`).",
    ),
  mean: z
    .array(z.number().finite().min(-10).max(10))
    .min(1)
    .max(3)
    .optional()
    .describe("`image`: the mean of each channel of pixels scaled to 0..1 (default ImageNet's for RGB, 0 for grey)."),
  std: z
    .array(z.number().finite().min(1e-6).max(10))
    .min(1)
    .max(3)
    .optional()
    .describe("`image`: the standard deviation of each channel (default ImageNet's for RGB, 1 for grey)."),
  labels: z
    .array(pgText().min(1).max(PROCESSING_LIMITS.maxLabelChars))
    .min(1)
    .max(PROCESSING_LIMITS.maxLabels)
    .refine((l) => JSON.stringify(l).length <= PROCESSING_LIMITS.maxLabelsJsonBytes, {
      message: `at most ${PROCESSING_LIMITS.maxLabelsJsonBytes} bytes of labels in all`,
    })
    .optional()
    .describe("`labels`: the name of each class, in the order of the first output's last axis."),
  royalty: ZRoyalty.prefault("0").describe(
    "Base units (a decimal string; 1 token = 1000000) paid to your organisation for each job another organisation runs on the model while it is public. At most 1000 tokens.",
  ),
  dimBounds: z
    .record(z.string().min(1).max(100), z.int().min(1).max(ONNX_LIMITS.maxDimBound))
    .refine((r) => Object.keys(r).length <= 64, { message: "at most 64 bounds" })
    .optional()
    .describe("The largest size of each dynamic input dimension, by its name (`dim_param`) or `input:index`."),
});

export const ZRegisterModelRequest = ZModelOptions.extend({
  uploadId: z.string().regex(UPLOAD_ID, "an upload id (32 hex) from POST /api/v1/models/uploads"),
});
export type TRegisterModelRequest = z.infer<typeof ZRegisterModelRequest>;
type TModelOptions = z.infer<typeof ZModelOptions>;

/** The query of a registration that sends the file as the body (small files): the same options, bounds as JSON. */
export const ZRegisterModelQuery = z.strictObject({
  name: ZModelOptions.shape.name,
  visibility: ZModelOptions.shape.visibility,
  preprocessing: ZModelOptions.shape.preprocessing,
  postprocessing: ZModelOptions.shape.postprocessing,
  royalty: ZModelOptions.shape.royalty,
  dimBounds: z.string().max(4_000).optional().describe("JSON: the largest size of each dynamic input dimension, by name."),
  mean: z.string().max(200).optional().describe("JSON: `image`'s per-channel mean, e.g. [0.5,0.5,0.5]."),
  std: z.string().max(200).optional().describe("JSON: `image`'s per-channel standard deviation."),
  labels: z
    .string()
    .max(8_000)
    .optional()
    .describe('JSON: `labels`\' class names, e.g. ["cat","dog"] (longer lists: the JSON registration).'),
});
/** A file sent as the request's body may be this large; larger ones go through the resumable upload. */
export const MAX_DIRECT_UPLOAD_BYTES = 8 * 1024 * 1024;

export type RegisteredModel = { status: 200 | 201; model: ReturnType<typeof customModelView> };

/** Registers the organisation's finished upload; the upload is removed once it is registered or refused. */
export async function registerUploadedModel(opts: {
  orgId: string;
  keyId: string | null;
  request: TRegisterModelRequest;
}): Promise<RegisteredModel> {
  const { uploadId, ...options } = opts.request;
  if (registering.has(uploadId)) throw new AppError("CONFLICT", `upload ${uploadId} is being registered by another request`);
  registering.add(uploadId);
  try {
    const upload = await getFinishedUpload({ orgId: opts.orgId, id: uploadId });
    const bytes = readFileSync(upload.path);
    try {
      const result = await registerModelBytes({ orgId: opts.orgId, keyId: opts.keyId, bytes, options });
      await removeUpload(uploadId);
      return result;
    } catch (err) {
      // A refused file is removed with its reason given; a busy or failing server keeps it for a retry.
      if (err instanceof AppError && ["UNPROCESSABLE", "PAYLOAD_TOO_LARGE", "CONFLICT"].includes(err.code)) await removeUpload(uploadId);
      throw err;
    }
  } finally {
    registering.delete(uploadId);
  }
}

/** Validates, runs and stores the bytes, and gives the organisation its model. */
export async function registerModelBytes(opts: {
  orgId: string;
  keyId: string | null;
  bytes: Uint8Array;
  options: TModelOptions;
}): Promise<RegisteredModel> {
  const { orgId, bytes, options } = opts;
  const id = createHash("sha256").update(bytes).digest("hex");
  const pricePerCu = getEnv().PRICE_PER_CU_BASE_UNITS;
  const [mine] = await listVisibleCustomModels(sql(), { orgId, modelId: id, limit: 1 });
  if (mine?.owned) {
    // The same bytes again: the listing as it is; new processing would be dropped in silence.
    const asked = processingOf(options);
    const same =
      mine.preprocessing === asked.preprocessing &&
      mine.postprocessing === asked.postprocessing &&
      JSON.stringify(mine.processingOptions ?? {}) === JSON.stringify(asked.options);
    if (!same) {
      throw new AppError(
        "CONFLICT",
        `your organisation already has this model with preprocessing ${mine.preprocessing} and postprocessing ${mine.postprocessing}: a listing's processing does not change (jobs keep it), so DELETE /api/v1/models/${id} and register it again to choose another`,
      );
    }
    return { status: 200, model: customModelView(mine, pricePerCu) };
  }

  const existing = await db().model.findUnique({ where: { id }, select: { builtIn: true, slug: true, signature: true } });
  if (existing?.builtIn) {
    throw new AppError("CONFLICT", `these bytes are the built-in model ${existing.slug}: run it by that name, no upload needed`);
  }
  // Bytes another organisation uploaded were validated and run then: only the ownership is new.
  const facts = existing ? null : await checkModel(bytes, options.dimBounds ?? {});
  // The processing must fit the model's inputs and outputs: refused with the reason, nothing stored.
  const signature = (facts?.signature ?? existing?.signature) as Pick<OnnxSignature, "inputs" | "outputs">;
  const processing = processingOf(options);
  const unfit = processingProblem(signature, processing);
  if (unfit) throw new AppError("UNPROCESSABLE", `the processing does not fit the model: ${unfit}`, { check: "processing" });

  if (facts) await modelStore().put(id, bytes);
  const created = await sqlTransaction(async (tx) => {
    // Its royalties are paid into the organisation's earnings account: it exists from now on.
    await ensureOrgAccounts(tx, orgId);
    if (facts) {
      const row = await insertUploadedModel(tx, { id, ...facts, fileBytes: bytes.byteLength });
      if (row.builtIn) throw new AppError("CONFLICT", "these bytes are a built-in model: run it by its name, no upload needed");
    }
    const processingOptions = Object.keys(processing.options).length > 0 ? { ...processing.options } : null;
    if (options.visibility === "public") {
      const other = await conflictingPublicProcessing(tx, {
        orgId,
        modelId: id,
        preprocessing: options.preprocessing,
        postprocessing: options.postprocessing,
        processingOptions,
      });
      if (other) throw publishConflict(other);
    }
    return insertModelOwnership(tx, {
      orgId,
      modelId: id,
      name: options.name,
      visibility: options.visibility,
      preprocessing: options.preprocessing,
      postprocessing: options.postprocessing,
      processingOptions,
      royalty: options.royalty,
      createdByKeyId: opts.keyId,
    });
  });
  const [row] = await listVisibleCustomModels(sql(), { orgId, modelId: id, limit: 1 });
  if (!row) throw new Error(`model ${id} was registered but is not visible to its owner`);
  logger.info(
    { orgId, modelId: id, bytes: bytes.byteLength, visibility: options.visibility, newModel: facts !== null },
    "custom model registered",
  );
  return { status: created ? 201 : 200, model: customModelView(row, pricePerCu) };
}

/** The menu's choices and their parameters, as packages/models checks and applies them. */
function processingOf(options: TModelOptions): Processing {
  return {
    preprocessing: options.preprocessing,
    postprocessing: options.postprocessing,
    options: {
      ...(options.mean ? { mean: options.mean } : {}),
      ...(options.std ? { std: options.std } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
    },
  };
}

/** validateOnnx, then the sandbox's reference run: the model row's facts, or a 422/413 with the reason. */
async function checkModel(bytes: Uint8Array, dimBounds: Record<string, number>) {
  let signature: ReturnType<typeof validateOnnx>;
  try {
    signature = validateOnnx(bytes, { dimBounds });
  } catch (err) {
    if (!(err instanceof OnnxValidationError)) throw err;
    throw new AppError(err.tooLarge ? "PAYLOAD_TOO_LARGE" : "UNPROCESSABLE", `the model was refused: ${err.message}`, {
      check: "validate",
    });
  }
  if (validating >= MAX_CONCURRENT_VALIDATIONS) {
    throw new AppError("RATE_LIMITED", `${MAX_CONCURRENT_VALIDATIONS} models are being validated: retry shortly`, {
      retryAfterSeconds: 30,
    });
  }
  validating++;
  let run: Awaited<ReturnType<typeof runInSandbox>>;
  try {
    const env = getEnv();
    run = await runInSandbox({ bytes }, signature.inputs, {
      memoryBytes: env.MODEL_SANDBOX_MEMORY_BYTES,
      timeoutMs: env.MODEL_SANDBOX_TIMEOUT_MS,
    });
  } finally {
    validating--;
  }
  if (!run.ok) {
    throw new AppError("UNPROCESSABLE", `the model was refused in the sandbox: ${run.message}`, { check: "sandbox", reason: run.reason });
  }
  // 1 CU = 1 s on the reference machine, so a milli-CU is a millisecond of the run; the faster
  // of the two runs (the first pays one-off allocations). At least 1: no model runs for free.
  const baseCostMilliCu = Math.max(1, Math.ceil(Math.min(...run.runMs)));
  return {
    signature: {
      format: "onnx",
      ...signature,
      outputsAtBounds: run.outputs,
      reference: { createMs: run.createMs, runMs: run.runMs, peakRssBytes: run.peakRssBytes },
    },
    baseCostMilliCu,
    deterministic: run.deterministic,
  };
}
