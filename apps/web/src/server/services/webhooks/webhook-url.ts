import { parseOutboundUrl } from "../../http/outbound.ts";

// Where a webhook may be sent: the platform posts to it from inside its network, so the
// address rules of http/outbound.ts hold (checked at registration, a clear 400, and again on
// every delivery, on the address actually connected to). WEBHOOK_ALLOW_LOCAL_URLS=1
// (development and tests) lifts the address check and lets http go to localhost and
// 127.0.0.1; https is required otherwise.

export const MAX_WEBHOOK_URL_CHARS = 2_048;

/**
 * Parses and checks a URL a customer registers: absolute, https (http only to localhost or
 * 127.0.0.1 when `allowLocal`), no user name or password, at most MAX_WEBHOOK_URL_CHARS.
 * Returns the normalised URL. Does not resolve the host (assertPublicHost does).
 */
export function parseWebhookUrl(raw: string, opts: { allowLocal: boolean }): URL {
  return parseOutboundUrl(raw, { ...opts, what: "url", maxChars: MAX_WEBHOOK_URL_CHARS });
}
