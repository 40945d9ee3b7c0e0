import { randomUUID } from "node:crypto";
import { isDatabaseUnavailable } from "@proofgrid/db/db-errors";
import { logger } from "./logger.ts";

/** Codes a service may throw; the boundary (tRPC, REST, node protocol) maps them once. */
export type AppErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "INSUFFICIENT_CREDITS"
  /** The organisation owes tokens after a card refund or dispute: no new jobs until paid. */
  | "DEBT_OUTSTANDING"
  /** The job would pass a monthly spend cap (the organisation's or the API key's). */
  | "SPEND_CAP_REACHED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
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
  DEBT_OUTSTANDING: 402,
  SPEND_CAP_REACHED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
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
  const allow = (appErr.details as { allow?: unknown } | undefined)?.allow;
  if (appErr.code === "METHOD_NOT_ALLOWED" && Array.isArray(allow)) headers.allow = allow.join(", ");
  const retryAfter = (appErr.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if ((appErr.code === "RATE_LIMITED" || appErr.code === "UNAVAILABLE") && typeof retryAfter === "number")
    headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfter)));
  return Response.json(body, { status: HTTP_STATUS[appErr.code], headers });
}

/** SQLSTATEs that only bad text causes: NUL in text (22021) or jsonb (22P05), which the
 * boundary's checks (http/safe-text.ts) refuse first; this is the backstop. */
const BAD_TEXT_SQLSTATES = new Set(["22021", "22P05"]);

/** The SQLSTATE of a pg error, or of one wrapped by Prisma's driver adapter (a few levels down). */
export function sqlStateOf(err: unknown): string | undefined {
  // The deepest code wins: Prisma's own (P2039) wraps the driver's, which holds Postgres's.
  let found: string | undefined;
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && typeof cur === "object" && cur !== null; depth++) {
    const e = cur as { code?: unknown; originalCode?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    const c = [e.originalCode, e.code].find((x): x is string => typeof x === "string" && /^[0-9A-Z]{5}$/.test(x));
    if (c) found = c;
    cur = e.meta?.driverAdapterError ?? e.cause;
  }
  return found;
}

export function toAppError(err: unknown, requestId: string): AppError {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err)) {
    // One short line, not a stack: a restart fails every request in flight at once.
    logger.warn({ requestId, err: String((err as Error).message ?? err).slice(0, 200) }, "database unavailable");
    return new AppError("UNAVAILABLE", `database unavailable; retry shortly (request ${requestId})`, { retryAfterSeconds: 1 });
  }
  const state = sqlStateOf(err);
  if (state && BAD_TEXT_SQLSTATES.has(state)) {
    logger.info({ requestId, sqlState: state }, "request refused: text Postgres cannot store");
    return new AppError("BAD_REQUEST", "the request holds text that cannot be stored: U+0000 (NUL) or an unpaired UTF-16 surrogate");
  }
  logger.error({ err, requestId }, "unhandled error");
  return new AppError("INTERNAL", `internal error (request ${requestId})`);
}
