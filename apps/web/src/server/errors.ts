import { randomUUID } from "node:crypto";
import { logger } from "./logger.ts";

/** Codes a service may throw; the boundary (tRPC, REST, node protocol) maps them once. */
export type AppErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "INSUFFICIENT_CREDITS"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  /** Well-formed but not acceptable as a whole: e.g. an idempotency key reused for another request. */
  | "UNPROCESSABLE"
  | "RATE_LIMITED"
  | "UNAVAILABLE"
  | "INTERNAL";

export const HTTP_STATUS: Record<AppErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  INSUFFICIENT_CREDITS: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export interface ErrorBody {
  error: { code: AppErrorCode; message: string; details?: unknown; requestId: string };
}

/** The one place an error becomes an HTTP response; unknown errors become a logged 500. */
export function errorResponse(err: unknown, requestId: string = randomUUID()): Response {
  const appErr = toAppError(err, requestId);
  const body: ErrorBody = {
    error: { code: appErr.code, message: appErr.message, details: appErr.details, requestId },
  };
  const headers: Record<string, string> = { "x-request-id": requestId };
  const retryAfter = (appErr.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (appErr.code === "RATE_LIMITED" && typeof retryAfter === "number") headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfter)));
  return Response.json(body, { status: HTTP_STATUS[appErr.code], headers });
}

export function toAppError(err: unknown, requestId: string): AppError {
  if (err instanceof AppError) return err;
  logger.error({ err, requestId }, "unhandled error");
  return new AppError("INTERNAL", `internal error (request ${requestId})`);
}
