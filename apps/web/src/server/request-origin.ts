import { getEnv } from "./env.ts";

/** A loopback host with an optional port: the only Host header trusted without PROOFGRID_URL. */
const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;
/** The names a browser on this machine reaches `npm start` by (it prints the first). */
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;

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

/**
 * The origins (scheme, host and port) whose pages may make cookie-bearing requests: the
 * configured public URL; without one, the loopback origins of the port this process serves
 * (`next start` sets PORT to it once listening), over http. Nothing comes from the request:
 * not its Host, not X-Forwarded-Host, not the address the server happens to be bound to
 * (`npm start` binds 0.0.0.0 so that workers on other machines reach it, and Next then
 * reports request URLs as http://0.0.0.0:3000, which no browser page has as its origin).
 * A deployment on any other address sets PROOFGRID_URL.
 */
export function trustedOriginsFor(configured: string | undefined, servedPort: string | number | undefined): string[] {
  if (configured) return [new URL(configured).origin];
  const port = Number(servedPort);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return [];
  return LOOPBACK_HOSTS.map((h) => new URL(`http://${h}:${port}`).origin);
}

/**
 * `trustedOriginsFor` this process's configuration. PORT is read live, not from the cached
 * environment: `next start` sets it to the port it listens on once listening, whatever `-p`
 * asked for.
 */
export function trustedOrigins(): string[] {
  return trustedOriginsFor(getEnv().PROOFGRID_URL, getEnv().PORT);
}

/**
 * Whether a request came from another site's page: its Origin is not one of the trusted
 * origins, compared as whole origins (scheme, host and port), so `https://localhost` is not
 * `http://localhost:3000`. A request without Origin (a navigation, curl, a server-side
 * call) is not cross-site: browsers send Origin on every cross-origin fetch and form POST.
 */
export function isCrossSite(headers: Headers, trusted: readonly string[] = trustedOrigins()): boolean {
  const origin = headers.get("origin");
  if (origin === null) return false;
  let parsed: string;
  try {
    parsed = new URL(origin).origin;
  } catch {
    return true; // "null" (a sandboxed frame, a file:// page) or garbage
  }
  return !trusted.includes(parsed);
}

/**
 * Whether session cookies carry the `__Secure-` prefix and the Secure flag: only when the
 * site is served over https (PROOFGRID_URL says so). On plain http a browser drops a
 * `__Secure-` cookie everywhere but on localhost, so sign-in would silently not stick.
 */
export function secureCookiesFor(configured: string | undefined): boolean {
  return configured !== undefined && new URL(configured).protocol === "https:";
}
