import { z } from "zod";

/** The HTTP edge: per-key rate limits (http/api-rate-limit.ts), proxies (http/client-address.ts),
 * the web processes (web-server.ts). */
export const ZHttpEnv = z.object({
  /** Requests per minute per API key, unless its organisation has its own limit. */
  API_KEY_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(60_000),
  /** Proxies whose X-Forwarded-For is believed (proxy-addr syntax: addresses, CIDRs,
   * "loopback"); unset, the socket's address is the client's. */
  TRUSTED_PROXIES: z.string().max(2_000).optional(),
  /** Development and tests only: inputs given by URL (`imageUrl`, `audioUrl`) may be
   * http://localhost and resolve to loopback or private addresses (refused otherwise). */
  INPUT_URL_ALLOW_LOCAL: z.enum(["0", "1"]).default("0"),
  /** The port `next start` listens on: the trusted origins of a single-machine install. */
  PORT: z.string().max(16).optional(),
  /** Processes of web-server.ts serving PORT together (node:cluster); 1 = one process, no
   * cluster. Each holds a pool of up to 20 Postgres connections and one LISTEN connection,
   * so N × 21 must fit in the server's max_connections beside the coordinator's. */
  WEB_PROCESSES: z.coerce.number().int().min(1).max(16).default(1),
});
