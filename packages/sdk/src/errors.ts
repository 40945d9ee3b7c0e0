// Typed errors: every failure the API answers becomes a ProofgridError of the class its
// status names, carrying the status, the platform's error code, its message and the request
// id (quote it to support). A request that never got an answer is a ConnectionError.

export interface ProofgridErrorInit {
  /** HTTP status; null when no answer came (ConnectionError, a timeout). */
  status: number | null;
  /** The platform's code (`BAD_REQUEST`, `UNAUTHORIZED`, …), or null when the answer had none. */
  code: string | null;
  message: string;
  /** The request's id (the error body's, else the x-request-id header). */
  requestId: string | null;
  /** The error body's `details` (zod's field errors for a 400, `retryAfterSeconds`, …). */
  details?: unknown;
  /** Retry-After, when the answer carried one, in milliseconds. */
  retryAfterMs?: number | null;
  cause?: unknown;
}

export class ProofgridError extends Error {
  readonly status: number | null;
  readonly code: string | null;
  readonly requestId: string | null;
  readonly details: unknown;
  readonly retryAfterMs: number | null;

  constructor(init: ProofgridErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.details = init.details;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }
}

/** 400: the request is malformed (details list each field's problem). */
export class BadRequestError extends ProofgridError {}
/** 401: no API key, an invalid one, or a revoked one. */
export class AuthenticationError extends ProofgridError {}
/** 402: not enough credits, a debt, or a spend cap reached. */
export class PaymentRequiredError extends ProofgridError {}
/** 403: the key lacks the scope this call needs. */
export class PermissionDeniedError extends ProofgridError {}
/** 404: no such job or resource in this organisation. */
export class NotFoundError extends ProofgridError {}
/** 409 or 422: the request conflicts with the resource's state, or an idempotency key was reused for another request. */
export class ConflictError extends ProofgridError {}
/** 422: well-formed but unacceptable, e.g. an idempotency key reused with another body. */
export class UnprocessableError extends ConflictError {}
/** 413: the body is larger than the platform accepts. */
export class PayloadTooLargeError extends ProofgridError {}
/** 429: over the key's rate limit; `retryAfterMs` says when to come back. */
export class RateLimitError extends ProofgridError {}
/** 5xx: the platform failed (after the client's retries). */
export class InternalServerError extends ProofgridError {}
/** No answer: the network failed or the request timed out (after the client's retries). */
export class ConnectionError extends ProofgridError {}
/** jobs.wait ran out of time before the job finished; `job` is its last known state. */
export class WaitTimeoutError extends ProofgridError {
  constructor(
    readonly jobId: string,
    readonly lastState: string,
    timeoutMs: number,
  ) {
    super({
      status: null,
      code: "WAIT_TIMEOUT",
      message: `job ${jobId} is still ${lastState} after ${timeoutMs} ms`,
      requestId: null,
    });
  }
}
/** jobs.run: the job ended in a state other than succeeded (failed, canceled, expired). */
export class JobFailedError extends ProofgridError {
  constructor(readonly job: { id: string; state: string; error: string | null }) {
    super({
      status: null,
      code: "JOB_FAILED",
      message: `job ${job.id} ${job.state}${job.error ? `: ${job.error}` : ""}`,
      requestId: null,
    });
  }
}

/** The error class for an HTTP status. */
export function errorClassFor(status: number): typeof ProofgridError {
  if (status === 400) return BadRequestError;
  if (status === 401) return AuthenticationError;
  if (status === 402) return PaymentRequiredError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 413) return PayloadTooLargeError;
  if (status === 422) return UnprocessableError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return InternalServerError;
  return ProofgridError;
}

/** The longest message kept from an answer that is not the platform's JSON (an HTML proxy page, say). */
const MAX_TEXT_MESSAGE = 300;

/** The typed error for a failed answer: `body` as openapi-fetch parsed it (JSON, or text). */
export function errorFromResponse(response: Response, body: unknown, retryAfterMs: number | null = null): ProofgridError {
  const e = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
  const err = typeof e === "object" && e !== null ? (e as Record<string, unknown>) : undefined;
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
  const message =
    str(err?.message) ??
    (typeof body === "string" && body.trim()
      ? body.trim().slice(0, MAX_TEXT_MESSAGE)
      : `HTTP ${response.status} ${response.statusText}`.trim());
  const Class = errorClassFor(response.status);
  return new Class({
    status: response.status,
    code: str(err?.code),
    message,
    requestId: str(err?.requestId) ?? response.headers.get("x-request-id"),
    details: err?.details,
    retryAfterMs,
  });
}
