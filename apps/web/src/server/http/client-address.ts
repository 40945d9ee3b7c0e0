import { randomBytes } from "node:crypto";
import dc from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";

// Who is calling, as far as rate limits are concerned. A route handler cannot see the
// socket: Next sets X-Forwarded-For to the peer's address only when the request has none,
// so a client that sends its own X-Forwarded-For (a new one per try) looked like a new
// address every time and sign-in limits never held. Instead, before Next sees a request,
// this process stamps it (node:diagnostics_channel's http.server.request.start) with the
// address the socket came from, or — when that peer is one of TRUSTED_PROXIES (addresses
// or CIDRs, comma-separated; default none) — with the nearest untrusted address in its
// X-Forwarded-For (proxy-addr, Express's implementation). The stamp carries a secret
// made at start-up, so a client that sends the same header name is ignored.

const ADDRESS_HEADER = "x-proofgrid-client-address";
const STAMP_HEADER = "x-proofgrid-client-address-stamp";

const globalForAddress = globalThis as unknown as { proofgridAddressStamp?: string };

function stamp(): string {
  globalForAddress.proofgridAddressStamp ??= randomBytes(16).toString("hex");
  return globalForAddress.proofgridAddressStamp;
}

/** TRUSTED_PROXIES, compiled; a malformed entry is refused at start-up. */
function trustFor(list: string | undefined): (addr: string, i: number) => boolean {
  const entries = (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return proxyaddr.compile(entries);
}

/** The client's address for a peer and its X-Forwarded-For, trusting only `trustedProxies`. */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: string | undefined,
): string {
  if (!peer) return "unknown";
  const xff = Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor;
  const req = { connection: { remoteAddress: peer }, socket: { remoteAddress: peer }, headers: xff ? { "x-forwarded-for": xff } : {} };
  return proxyaddr(req as unknown as IncomingMessage, trustFor(trustedProxies));
}

let installed = false;

/** Stamps every request this process's HTTP server receives (instrumentation.ts calls it once). */
export function installClientAddressStamp(): void {
  if (installed) return;
  installed = true;
  const trusted = getEnv().TRUSTED_PROXIES;
  trustFor(trusted); // fail at start-up, not on the first request
  const secret = stamp();
  dc.subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: { remoteAddress?: string } };
    try {
      request.headers[ADDRESS_HEADER] = resolveClientAddress(socket.remoteAddress, request.headers["x-forwarded-for"], trusted);
      request.headers[STAMP_HEADER] = secret;
    } catch (err) {
      logger.warn({ err }, "client address not resolved");
    }
  });
  logger.info({ trustedProxies: trusted ?? "none" }, "client addresses: from the socket, X-Forwarded-For only from trusted proxies");
}

/** The stamped client address of a request; "unknown" when the stamp is missing or forged. */
export function clientAddressOf(headers: Headers): string {
  const given = headers.get(STAMP_HEADER);
  if (!given || given !== stamp()) return "unknown";
  return headers.get(ADDRESS_HEADER)?.slice(0, 64) || "unknown";
}

/** For tests that call route handlers directly: the headers this process's stamp would add. */
export function stampedHeaders(address: string): Record<string, string> {
  return { [ADDRESS_HEADER]: address, [STAMP_HEADER]: stamp() };
}
