import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AppError, errorResponse } from "../errors.ts";
import { logger } from "../logger.ts";
import { withApiHeaders } from "./api-rate-limit.ts";

export interface RouteContext {
  requestId: string;
}

/**
 * A route wrapper with its own error shape: request id, the RateLimit headers
 * authentication adds, `toResponse` for every failure, one log line per refusal.
 */
export function handleWith(toResponse: (err: unknown, requestId: string) => Response) {
  return <A extends unknown[]>(fn: (req: Request, ctx: RouteContext, ...rest: A) => Promise<Response>) =>
    async (req: Request, ...rest: A): Promise<Response> => {
      const requestId = req.headers.get("x-request-id")?.slice(0, 64) || randomUUID();
      return withApiHeaders(
        async () => {
          const res = await fn(req, { requestId }, ...rest);
          res.headers.set("x-request-id", requestId);
          return res;
        },
        (err) => {
          if (err instanceof AppError && err.code !== "INTERNAL") {
            logger.info({ requestId, path: new URL(req.url).pathname, code: err.code, msg: err.message }, "request refused");
          }
          return toResponse(err, requestId);
        },
      );
    };
}

/** Wraps a route handler, with errors in the platform's JSON shape (errors.ts). */
export const handle = handleWith(errorResponse);

/** Validates with zod; a failure is a 400 that lists each field's problem. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError("BAD_REQUEST", `invalid request: ${z.prettifyError(parsed.error)}`, z.flattenError(parsed.error));
  }
  return parsed.data;
}

/** JSON response that serialises bigints as decimal strings. */
export function json(data: unknown, init?: ResponseInit): Response {
  return new Response(
    JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    {
      ...init,
      headers: { "content-type": "application/json", ...(init?.headers ?? {}) },
    },
  );
}
