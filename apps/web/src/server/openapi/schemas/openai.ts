import { z } from "zod";

// The OpenAI-compatible routes (/v1/*): OpenAI's response and error shapes, so its clients work unmodified.

export const ZOpenAiModelList = z
  .strictObject({
    object: z.literal("list"),
    data: z.array(
      z.strictObject({
        id: z.string().describe("The model's slug: what `model` takes."),
        object: z.literal("model"),
        created: z.int().min(0),
        owned_by: z.string(),
        kind: z.enum(["ocr", "vad", "embedding", "tensor"]).describe("Proofgrid's addition: only `embedding` models embed."),
      }),
    ),
  })
  .meta({ id: "OpenAiModelList" });

export const ZOpenAiEmbeddings = z
  .strictObject({
    object: z.literal("list"),
    data: z.array(
      z.strictObject({
        object: z.literal("embedding"),
        index: z.int().min(0),
        embedding: z
          .union([z.array(z.number()), z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)])
          .describe("Floats, or with `encoding_format: base64` little-endian float32s in base64."),
      }),
    ),
    model: z.string(),
    usage: z.strictObject({ prompt_tokens: z.int().min(0), total_tokens: z.int().min(0) }),
  })
  .meta({ id: "OpenAiEmbeddings" });

/** openai-http.ts `openAiErrorResponse`. */
export const ZOpenAiError = z
  .strictObject({
    error: z.strictObject({
      message: z.string(),
      type: z.string().describe("invalid_request_error, authentication_error, permission_error, rate_limit_error, …"),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: "OpenAiError", description: "OpenAI's error shape, with its status codes." });
