// Response schemas shared by the REST API's documentation (openapi/registry.ts) and its
// contract test: what a client may rely on, checked against every response the test replays.
// Objects are strict (`additionalProperties: false`), so a field a route starts sending
// without documenting it fails the contract test.
import { z } from "zod";
import { API_SCOPES } from "../../auth/scopes.ts";
import type { AppErrorCode } from "../../errors.ts";
import { HTTP_STATUS } from "../../errors.ts";

/** Token base units (1 token = 10^6) as a decimal string: amounts exceed 2^53. */
export const ZBaseUnits = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .meta({ description: "Token base units (1 token = 10^6) as a non-negative decimal string.", example: "1500000" });

/** A balance that can go below zero (a card refund or dispute after the tokens were spent). */
export const ZSignedBaseUnits = z
  .string()
  .regex(/^(0|-?[1-9][0-9]*)$/)
  .meta({ description: "Token base units as a decimal string, negative when owed.", example: "-250000" });

/** An ISO 8601 UTC time as `Date.toISOString()` writes it. */
export const ZDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/)
  .meta({ format: "date-time", example: "2026-01-31T12:00:00.000Z" });

export const ZUuid = z.uuid().meta({ example: "0b6f2c8e-6c2a-4b8e-9a51-3f0c1d2e4a5b" });

/**
 * `schema` or null, for a schema registered as a component: zod-to-openapi 9 writes a
 * registered schema's `.nullable()` for OpenAPI 3.1 as `allOf: [$ref, {type: [.., null]}]`,
 * which null does not satisfy (the $ref branch refuses it); a union is `anyOf` and does.
 */
export function orNull<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

/** A sha256 hex digest (model ids, input and output hashes). */
export const ZSha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ZEvmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** A JSON value whose shape the route does not fix (a model's output, a receipt as signed). */
export const ZJson = z.unknown();

export const ZApiScope = z.enum(API_SCOPES);

export const ZErrorCode = z.enum(Object.keys(HTTP_STATUS) as [AppErrorCode, ...AppErrorCode[]]).meta({ id: "ErrorCode" });

/** errors.ts `ErrorBody`: every /api/v1 failure, 4xx and 5xx. */
export const ZErrorBody = z
  .strictObject({
    error: z.strictObject({
      code: ZErrorCode,
      message: z.string(),
      /** zod's flattened errors for a 400, `allow` for a 405, `retryAfterSeconds` for a 429/503, … */
      details: z.unknown().optional(),
      requestId: z.string().min(1),
    }),
  })
  .meta({ id: "Error", description: "Every failure: a code, a message for people, details when there are any, and the request id." });
