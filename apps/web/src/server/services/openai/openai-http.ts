import { AppError, HTTP_STATUS, toAppError } from "../../errors.ts";
import { handleWith } from "../../http/handle.ts";

// The OpenAI-compatible routes (/v1/*) answer errors in OpenAI's shape,
// `{ error: { message, type, param, code } }`, with the same status codes as the rest of
// the API: the official `openai` client maps the status to its error classes
// (400 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 429 RateLimitError).

const OPENAI_TYPE: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "insufficient_quota",
  403: "permission_error",
  404: "invalid_request_error",
  405: "invalid_request_error",
  409: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  503: "server_error",
  500: "server_error",
};

/** An AppError that names the offending request field (OpenAI's `param`). */
export class OpenAiParamError extends AppError {
  constructor(
    readonly param: string | null,
    message: string,
    readonly openAiCode: string | null = null,
  ) {
    super("BAD_REQUEST", message);
  }
}

export function openAiErrorResponse(err: unknown, requestId: string): Response {
  const appErr = toAppError(err, requestId);
  const status = HTTP_STATUS[appErr.code];
  const body = {
    error: {
      message: appErr.message,
      type: OPENAI_TYPE[status] ?? "invalid_request_error",
      param: err instanceof OpenAiParamError ? err.param : null,
      code: err instanceof OpenAiParamError && err.openAiCode ? err.openAiCode : appErr.code.toLowerCase(),
    },
  };
  const headers: Record<string, string> = { "x-request-id": requestId };
  const details = appErr.details as { allow?: unknown; retryAfterSeconds?: unknown } | undefined;
  if (appErr.code === "METHOD_NOT_ALLOWED" && Array.isArray(details?.allow)) headers.allow = details.allow.join(", ");
  if ((appErr.code === "RATE_LIMITED" || appErr.code === "UNAVAILABLE") && typeof details?.retryAfterSeconds === "number") {
    headers["retry-after"] = String(Math.max(1, Math.ceil(details.retryAfterSeconds)));
  }
  return Response.json(body, { status, headers });
}

/** Like `handle`, with errors in OpenAI's shape. */
export const handleOpenAi = handleWith(openAiErrorResponse);

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** The methods a /v1 route does not serve: OpenAI-shaped 405s naming the ones it does. */
export function openAiMethodsNotAllowed(...allowed: Method[]): Record<Method, (req: Request) => Promise<Response>> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
  const notAllowed = handleOpenAi(async (req) => {
    throw new AppError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here: use ${allowed.join(" or ")}`, { allow });
  });
  return Object.fromEntries(METHODS.map((m) => [m, notAllowed])) as Record<Method, (req: Request) => Promise<Response>>;
}
