import { type LookupAddress, lookup as dnsLookup } from "node:dns";
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { AppError } from "../errors.ts";

// Requests the platform makes to addresses its customers name: webhook deliveries
// (services/webhooks) and inputs given by URL (services/jobs/input-urls.ts). The platform
// sends them from inside its network, so an address the public cannot reach is refused:
// loopback, private, link-local (169.254.169.254 is a cloud's metadata service), CGNAT,
// multicast, reserved. `assertPublicHost` gives a clear 400 up front; `outboundRequest`
// checks again on the address it actually connects to (the socket is pinned to what the
// guarded lookup returned), so a name that resolves publicly first and privately later (DNS
// rebinding) is refused then. `allowLocal` (development and tests only) lifts the check.

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
 * Parses a URL a customer gives: absolute, https (http only to localhost or 127.0.0.1 when
 * `allowLocal`), no user name or password, at most `maxChars`. Errors name the field `what`.
 */
export function parseOutboundUrl(raw: string, opts: { allowLocal: boolean; what: string; maxChars: number }): URL {
  const { what, maxChars } = opts;
  if (raw.length > maxChars) throw new AppError("BAD_REQUEST", `${what}: at most ${maxChars} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("BAD_REQUEST", `${what}: not an absolute URL`);
  }
  if (url.username || url.password) throw new AppError("BAD_REQUEST", `${what}: must not carry a user name or password`);
  if (url.protocol === "http:") {
    if (!(opts.allowLocal && LOCAL_HTTP_HOSTS.has(url.hostname))) {
      throw new AppError("BAD_REQUEST", `${what}: must use https (http is allowed only to localhost in development)`);
    }
  } else if (url.protocol !== "https:") {
    throw new AppError("BAD_REQUEST", `${what}: must use https`);
  }
  url.hash = "";
  if (url.href.length > maxChars) throw new AppError("BAD_REQUEST", `${what}: at most ${maxChars} characters`);
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
export async function assertPublicHost(url: URL, opts: { allowLocal: boolean; what?: string }): Promise<void> {
  const what = opts.what ?? "url";
  if (opts.allowLocal) return;
  const host = hostOf(url);
  let addresses: { address: string }[];
  try {
    addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new AppError("BAD_REQUEST", `${what}: the host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new AppError("BAD_REQUEST", `${what}: the host ${host} does not resolve`);
  const bad = addresses.find((a) => isNonPublicAddress(a.address));
  if (bad) {
    const which = isIP(host) ? `${host} is` : `${host} resolves to ${bad.address},`;
    throw new AppError(
      "BAD_REQUEST",
      `${what}: ${which} a private, loopback or link-local address (not reachable from the public internet)`,
    );
  }
}

/** dns.lookup that refuses non-public addresses (the socket connects to what it returns: no rebinding). */
function guardedLookup(allowLocal: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const bad = allowLocal ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (bad) return callback(new Error(`refused: ${hostname} resolves to ${bad.address}, not a public address`), "", 0);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} does not resolve`), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

export interface OutboundResult {
  /** null: no answer (refused, timed out, connection failed: see `error`). */
  statusCode: number | null;
  headers: http.IncomingHttpHeaders;
  /** The answer's first `maxBytes` bytes. */
  body: Buffer;
  /** The answer was longer than `maxBytes` (the rest was not read). */
  truncated: boolean;
  error: string | null;
  latencyMs: number;
}

/**
 * One request to a customer's address: at most `timeoutMs` for the whole exchange, no
 * redirect followed, no connection reused, the answer read up to `maxBytes`. Never throws:
 * the outcome is the result.
 */
export function outboundRequest(opts: {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  allowLocal: boolean;
}): Promise<OutboundResult> {
  const started = performance.now();
  return new Promise<OutboundResult>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: Partial<OutboundResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        statusCode: null,
        headers: {},
        body: Buffer.alloc(0),
        truncated: false,
        error: null,
        ...r,
        latencyMs: Math.round(performance.now() - started),
      });
    };
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      finish({ error: "invalid URL" });
      return;
    }
    const host = hostOf(url);
    // An IP literal is connected to without a lookup: check it here.
    if (!opts.allowLocal && isIP(host) && isNonPublicAddress(host)) {
      finish({ error: `refused: ${host} is not a public address` });
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const headers = { ...opts.headers };
    if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
    const req = client.request(url, { method: opts.method, headers, lookup: guardedLookup(opts.allowLocal), agent: false });
    timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on("error", (err) => finish({ error: err.message.slice(0, 500) }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean) =>
        finish({
          statusCode: res.statusCode ?? null,
          headers: res.headers,
          body: Buffer.concat(chunks).subarray(0, opts.maxBytes),
          truncated,
        });
      res.on("data", (chunk: Buffer) => {
        if (size < opts.maxBytes) chunks.push(chunk);
        size += chunk.length;
        // Enough read: an answer that goes on (or streams forever) is cut off.
        if (size > opts.maxBytes) {
          done(true);
          res.destroy();
        }
      });
      res.on("end", () => done(false));
      res.on("error", (err) => finish({ statusCode: res.statusCode ?? null, error: err.message.slice(0, 500) }));
    });
    req.end(opts.body);
  });
}
