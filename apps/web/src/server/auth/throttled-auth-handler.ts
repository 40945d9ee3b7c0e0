import { errorResponse } from "../errors.ts";
import { clientAddressOf } from "../http/client-address.ts";
import { readBodyLimited } from "../http/read-body.ts";
import { logger } from "../logger.ts";
import { afterSignIn, beforePasswordResetRequest, beforeSignIn, beforeSignUp, ThrottledError } from "./auth-throttle.ts";
import { getAuth } from "./better-auth.ts";

/** An auth request's body is a few fields: bound it before anyone parses it. */
const MAX_AUTH_BODY_BYTES = 16_384;

function emailOf(body: Uint8Array): string | null {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { email?: unknown };
    return typeof parsed.email === "string" && parsed.email.length <= 254 ? parsed.email : null;
  } catch {
    return null;
  }
}

function tooMany(err: ThrottledError): Response {
  const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
  return Response.json({ code: "TOO_MANY_REQUESTS", message: err.message }, { status: 429, headers: { "retry-after": String(seconds) } });
}

/**
 * better-auth's handler behind the limits: sign-in (per account with backoff, per client
 * address), password reset requests and sign-ups (per address, and per account for resets).
 * Everything else goes straight through.
 */
export async function handleAuthRequest(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname.replace(/^\/api\/auth/, "");
  const limited = req.method === "POST" && (path === "/sign-in/email" || path === "/sign-up/email" || path === "/request-password-reset");
  if (!limited) return getAuth().handler(req);
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = await readBodyLimited(req, MAX_AUTH_BODY_BYTES);
  } catch (err) {
    return errorResponse(err);
  }
  const forward = () => getAuth().handler(new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal }));
  const email = emailOf(body);
  const address = clientAddressOf(req.headers);
  try {
    if (path === "/sign-up/email") {
      await beforeSignUp({ address });
      return await forward();
    }
    if (!email) return await forward(); // better-auth answers the malformed request
    if (path === "/request-password-reset") {
      await beforePasswordResetRequest({ email, address });
      return await forward();
    }
    await beforeSignIn({ email, address });
    const res = await forward();
    // 401 is better-auth's answer to a wrong email or password; other errors are not guesses.
    if (res.status === 401 || res.ok) await afterSignIn({ email, ok: res.ok });
    return res;
  } catch (err) {
    if (err instanceof ThrottledError) {
      logger.info({ path, address, retryAfterMs: err.retryAfterMs }, "auth request throttled");
      return tooMany(err);
    }
    return errorResponse(err);
  }
}
