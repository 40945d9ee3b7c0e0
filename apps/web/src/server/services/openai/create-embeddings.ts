import { LIMITS } from "@proofgrid/models/model-schemas";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { resolveModel } from "../models/resolve-model.ts";
import { awaitJobOutput } from "../jobs/await-job-output.ts";
import { submitJob } from "../jobs/submit-job.ts";
import { OpenAiParamError } from "./openai-http.ts";
import { inspectInput } from "@proofgrid/models/inspect-input";

// OpenAI's embeddings request. `input` may also be token arrays in OpenAI's API; Proofgrid's
// encoders take text only, so those are refused by name rather than misread.
export const ZEmbeddingsRequest = z.object({
  model: z.string().min(1).max(100),
  input: z.union([z.string(), z.array(z.string())]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().max(256).optional(),
});

/** How long one call waits for its job; a job still running then is a 503 naming the job, which still runs and bills. */
const WAIT_MS = 60_000;

function parseRequest(body: unknown): z.infer<typeof ZEmbeddingsRequest> {
  const parsed = ZEmbeddingsRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.length ? String(issue.path[0]) : null;
    const what = param === "input" ? "input must be a string or an array of strings" : z.prettifyError(parsed.error);
    throw new OpenAiParamError(param, `invalid request: ${what}`);
  }
  return parsed.data;
}

export interface EmbeddingsResult {
  jobId: string;
  body: {
    object: "list";
    data: { object: "embedding"; index: number; embedding: number[] | string }[];
    model: string;
    usage: { prompt_tokens: number; total_tokens: number };
  };
}

/**
 * One OpenAI embeddings call = one ordinary Proofgrid job (the array as one batched
 * `texts` input): submitted through submitJob (validated, priced, held, billed like any
 * job) and awaited the way `GET /api/v1/jobs/:id?wait=` does.
 */
export async function createEmbeddings(opts: {
  orgId: string;
  apiKeyId: string | null;
  body: unknown;
  signal?: AbortSignal;
}): Promise<EmbeddingsResult> {
  const req = parseRequest(opts.body);
  if (req.dimensions !== undefined) {
    throw new OpenAiParamError(
      "dimensions",
      "dimensions is not supported: Proofgrid's encoders return their native size (see GET /v1/models)",
      "unsupported_parameter",
    );
  }
  const texts = typeof req.input === "string" ? [req.input] : req.input;
  if (texts.length === 0) throw new OpenAiParamError("input", "input must not be empty");
  if (texts.length > LIMITS.textsMaxItems)
    throw new OpenAiParamError("input", `input has ${texts.length} items; at most ${LIMITS.textsMaxItems} per request`);
  texts.forEach((t, i) => {
    if (t.length === 0) throw new OpenAiParamError("input", `input[${i}] is empty`);
    if (t.length > LIMITS.textMaxChars)
      throw new OpenAiParamError("input", `input[${i}] has ${t.length} characters; at most ${LIMITS.textMaxChars}`);
  });

  let model: Awaited<ReturnType<typeof resolveModel>>;
  try {
    model = await resolveModel(req.model);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") {
      throw new AppError("NOT_FOUND", `The model '${req.model.slice(0, 100)}' does not exist: list models with GET /v1/models`);
    }
    throw err;
  }
  if (model.kind !== "embedding") {
    throw new OpenAiParamError("model", `model '${model.slug}' is a ${model.kind} model, not an embedding model`, "model_not_supported");
  }

  const input = typeof req.input === "string" ? { text: req.input } : { texts };
  const facts = await inspectInput(model.slug, input).catch(() => null);
  // submitJob validates exactly as the jobs API does (its 400/413 errors pass through).
  const submitted = await submitJob({ orgId: opts.orgId, apiKeyId: opts.apiKeyId, request: { model: model.slug, input } });
  const job = await awaitJobOutput({ orgId: opts.orgId, jobId: submitted.id, waitMs: WAIT_MS, signal: opts.signal });
  const output = job.output as { vectors?: number[][] } | null | undefined;
  const vectors = output?.vectors;
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    throw new AppError(
      "INTERNAL",
      `job ${job.id} returned ${Array.isArray(vectors) ? vectors.length : "no"} vectors for ${texts.length} inputs`,
    );
  }
  const tokens = facts && facts.kind === "embedding" ? facts.tokens : 0;
  return {
    jobId: job.id,
    body: {
      object: "list",
      data: vectors.map((v, index) => ({
        object: "embedding",
        index,
        embedding: req.encoding_format === "base64" ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v,
      })),
      model: model.slug,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
