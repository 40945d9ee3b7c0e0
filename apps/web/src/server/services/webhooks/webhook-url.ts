import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { AppError } from "../../errors.ts";

// Where a webhook may be sent. A customer names the URL and the platform posts to it from
// inside its network, so a URL is refused when its host is (or resolves to) an address the
// public cannot reach: loopback, private, link-local (169.254.169.254 is a cloud's metadata
// service), CGNAT, multicast, reserved. The check runs at registration (a clear 400) and
// again on every delivery, on the address actually connected to (deliver-webhooks.ts pins
// the socket to it): a name that resolved publicly at registration and privately later
// (DNS rebinding) is refused then. WEBHOOK_ALLOW_LOCAL_URLS=1 (development and tests) lifts
// the address check and lets http go to localhost and 127.0.0.1; https is required otherwise.

export const MAX_WEBHOOK_URL_CHARS = 2_048;

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv6");
}

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d, in either spelling) carries; null otherwise. */
function mappedIpv4(address: string): string | null {
  const m = /^::ffff:(.+)$/i.exec(address);
  if (!m?.[1]) return null;
  if (isIP(m[1]) === 4) return m[1];
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(m[1]);
  if (!hex?.[1] || !hex[2]) return null;
  const hi = Number.parseInt(hex[1], 16);
  const lo = Number.parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether the public cannot reach this IP address (loopback, private, link-local, reserved …). */
export function isNonPublicAddress(address: string): boolean {
  const v4 = isIP(address) === 4 ? address : mappedIpv4(address);
  if (v4) return BLOCKED.check(v4, "ipv4");
  if (isIP(address) === 6) return BLOCKED.check(address, "ipv6");
  // Not an address at all: refuse rather than guess.
  return true;
}

const LOCAL_HTTP_HOSTS = new Set(["localhost", "127.0.0.1"]);

/**
 * Parses and checks a URL a customer registers: absolute, https (http only to localhost or
 * 127.0.0.1 when `allowLocal`), no user name or password, at most MAX_WEBHOOK_URL_CHARS.
 * Returns the normalised URL. Does not resolve the host (assertPublicHost does).
 */
export function parseWebhookUrl(raw: string, opts: { allowLocal: boolean }): URL {
  if (raw.length > MAX_WEBHOOK_URL_CHARS) throw new AppError("BAD_REQUEST", `url: at most ${MAX_WEBHOOK_URL_CHARS} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("BAD_REQUEST", "url: not an absolute URL");
  }
  if (url.username || url.password) throw new AppError("BAD_REQUEST", "url: must not carry a user name or password");
  if (url.protocol === "http:") {
    if (!(opts.allowLocal && LOCAL_HTTP_HOSTS.has(url.hostname))) {
      throw new AppError("BAD_REQUEST", "url: must use https (http is allowed only to localhost in development)");
    }
  } else if (url.protocol !== "https:") {
    throw new AppError("BAD_REQUEST", "url: must use https");
  }
  url.hash = "";
  if (url.href.length > MAX_WEBHOOK_URL_CHARS) throw new AppError("BAD_REQUEST", `url: at most ${MAX_WEBHOOK_URL_CHARS} characters`);
  return url;
}

/** The host as `lookup` takes it: IPv6 literals lose their brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Resolves the URL's host and refuses it (400) when it does not resolve or any of its
 * addresses is not public, unless `allowLocal`.
 */
export async function assertPublicHost(url: URL, opts: { allowLocal: boolean }): Promise<void> {
  if (opts.allowLocal) return;
  const host = hostOf(url);
  let addresses: { address: string }[];
  try {
    addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new AppError("BAD_REQUEST", `url: the host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new AppError("BAD_REQUEST", `url: the host ${host} does not resolve`);
  const bad = addresses.find((a) => isNonPublicAddress(a.address));
  if (bad) {
    const what = isIP(host) ? `${host} is` : `${host} resolves to ${bad.address},`;
    throw new AppError("BAD_REQUEST", `url: ${what} a private, loopback or link-local address (not reachable from the public internet)`);
  }
}
