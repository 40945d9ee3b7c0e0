import { networkInterfaces } from "node:os";

/** A Host header that is only a host and an optional port (no path, credentials or junk). */
const HOST = /^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
/** Addresses a server listens on, never ones a client can connect to. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "[::]", "::", "[::0]", "[0:0:0:0:0:0:0:0]"]);

export interface PlatformUrlForWorkers {
  url: string;
  /** Set when the URL is a guess the operator should replace by setting PROOFGRID_URL. */
  note?: string;
}

/**
 * The URL a provider's worker must call, printed in its `register` command: PROOFGRID_URL
 * when set; else the address the caller used to reach this server (its Host header, then
 * the request URL's own host), unless that is a wildcard (0.0.0.0 when bound to every
 * interface: reachable from nowhere); else this machine's first network address. The
 * command goes back only to the authenticated caller who sent the Host header, so it is
 * the caller's own word, unlike links the platform emails (request-origin.ts).
 */
export function platformUrlForWorkers(opts: {
  configured: string | undefined;
  host: string | null;
  forwardedProto: string | null;
  requestUrl: string;
  interfaces?: ReturnType<typeof networkInterfaces>;
}): PlatformUrlForWorkers {
  if (opts.configured) return { url: opts.configured.replace(/\/$/, "") };
  const request = new URL(opts.requestUrl);
  const proto = opts.forwardedProto === "https" || opts.forwardedProto === "http" ? opts.forwardedProto : request.protocol.replace(":", "");
  let port = request.port;
  for (const host of [opts.host, request.host]) {
    if (!host || host.length > 255 || !HOST.test(host)) continue;
    let parsed: URL;
    try {
      parsed = new URL(`${proto}://${host}`);
    } catch {
      continue;
    }
    port = parsed.port || port;
    if (!WILDCARD_HOSTS.has(parsed.hostname)) return { url: parsed.origin };
  }
  const note = "set PROOFGRID_URL to the address workers reach this platform at";
  const portPart = port ? `:${port}` : "";
  for (const addrs of Object.values(opts.interfaces ?? networkInterfaces())) {
    const v4 = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return { url: `${proto}://${v4.address}${portPart}`, note: `${note}; this is the server's network address ${v4.address}` };
  }
  return {
    url: `${proto}://localhost${portPart}`,
    note: `${note}; this server has no network address, so only a worker on this machine can use it`,
  };
}
