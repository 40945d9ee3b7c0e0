import { getEnv } from "./env.ts";

/** A loopback host with an optional port: the only Host header trusted without PROOFGRID_URL. */
const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * Where links the platform sends (reset and invitation emails) point: PROOFGRID_URL, or,
 * when it is unset, the loopback address the request came to (`npm start`, tests). Any other
 * Host header is the client's word, and trusting it would let anyone ask for a victim's reset
 * link pointing at their own server (password-reset poisoning): null then, and the caller
 * says to set PROOFGRID_URL. X-Forwarded-Host is never used.
 */
export function publicOrigin(headers: Headers | null | undefined): string | null {
  return originFor(headers, getEnv().PROOFGRID_URL);
}

/** `publicOrigin` with the configured URL passed in (pure: for tests). */
export function originFor(headers: Headers | null | undefined, configured: string | undefined): string | null {
  if (configured) return configured.replace(/\/$/, "");
  const host = headers?.get("host") ?? "";
  return LOOPBACK.test(host) ? `http://${host}` : null;
}
