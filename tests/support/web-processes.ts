import { request } from "node:http";
import { waitFor } from "./wait.ts";

// Requests to a web server run as several processes (WEB_PROCESSES > 1, node:cluster): each on
// a connection of its own, so the cluster's primary hands it to a worker afresh, and each
// answer says which worker gave it (web-server.ts's x-proofgrid-web-process header).

export interface FreshAnswer {
  status: number;
  /** The cluster worker's id; undefined when the server runs as one process. */
  process: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a new connection (no keep-alive): JSON in (or `bytes`, with their own content type), text out. */
export function sendFresh(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; bytes?: Uint8Array; headers?: Record<string, string>; apiKey?: string; timeoutMs?: number } = {},
): Promise<FreshAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const payload = init.bytes ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const timeoutMs = init.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        path,
        method: init.method ?? (payload === undefined ? "GET" : "POST"),
        agent: false,
        headers: {
          "content-type": "application/json",
          ...(init.apiKey ? { authorization: `Bearer ${init.apiKey}` } : {}),
          ...init.headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => {
          const p = res.headers["x-proofgrid-web-process"];
          resolve({ status: res.statusCode ?? 0, process: Array.isArray(p) ? p[0] : p, headers: res.headers, body });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Asks /api/health on new connections until `done(seen)` holds for the worker ids that
 * answered; returns them. A connection handed to a worker as it dies is reset: it is skipped.
 */
export async function webProcessesAnswering(
  baseUrl: string,
  done: (seen: Set<string>) => boolean,
  timeoutMs = 60_000,
): Promise<Set<string>> {
  const seen = new Set<string>();
  await waitFor(
    "the web processes to answer",
    async () => {
      const r = await sendFresh(baseUrl, "/api/health").catch(() => undefined);
      if (r?.status === 200 && r.process) seen.add(r.process);
      return done(seen);
    },
    { timeoutMs, intervalMs: 50 },
  );
  return seen;
}
