import { AppError, HTTP_STATUS, toAppError } from "../../errors.ts";
import { handleWith } from "../../http/handle.ts";

// The Open Inference Protocol's routes (/v2/*) answer every error as the protocol's
// `{ "error": "<message>" }`, with the status codes of the rest of the API (400 bad request,
// 401 bad key, 402 no credits, 404 unknown model, 413 too large, 503 + Retry-After).

export function oipErrorResponse(err: unknown, requestId: string): Response {
  const appErr = toAppError(err, requestId);
  const headers: Record<string, string> = { "x-request-id": requestId };
  const details = appErr.details as { allow?: unknown; retryAfterSeconds?: unknown } | undefined;
  if (appErr.code === "METHOD_NOT_ALLOWED" && Array.isArray(details?.allow)) headers.allow = details.allow.join(", ");
  if ((appErr.code === "RATE_LIMITED" || appErr.code === "UNAVAILABLE") && typeof details?.retryAfterSeconds === "number") {
    headers["retry-after"] = String(Math.max(1, Math.ceil(details.retryAfterSeconds)));
  }
  return Response.json({ error: appErr.message }, { status: HTTP_STATUS[appErr.code], headers });
}

/** Like `handle`, with errors in the protocol's shape. */
export const handleOip = handleWith(oipErrorResponse);

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** The methods a /v2 route does not serve: 405s in the protocol's shape naming the ones it does. */
export function oipMethodsNotAllowed(...allowed: Method[]): Record<Method, (req: Request) => Promise<Response>> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
  const notAllowed = handleOip(async (req) => {
    throw new AppError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here: use ${allowed.join(" or ")}`, { allow });
  });
  return Object.fromEntries(METHODS.map((m) => [m, notAllowed])) as Record<Method, (req: Request) => Promise<Response>>;
}
