import { getEnv } from "./env.ts";

/**
 * Where links the platform sends (emails, invitations) point: PROOFGRID_URL when set (a
 * deployment behind a proxy sets it), else the scheme and host the request came to, so
 * `npm start` on any address or port sends links that work from the same browser.
 */
export function publicOrigin(headers: Headers | null | undefined): string | null {
  const configured = getEnv().PROOFGRID_URL;
  if (configured) return configured.replace(/\/$/, "");
  const host = headers?.get("x-forwarded-host") ?? headers?.get("host");
  if (!host || !/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host)) return null;
  const proto = headers?.get("x-forwarded-proto") === "https" ? "https" : "http";
  return `${proto}://${host}`;
}
