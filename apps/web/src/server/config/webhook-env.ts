import { z } from "zod";

/** Outbound webhooks (services/webhooks): registration rules and the coordinator's delivery loop. */
export const ZWebhookEnv = z.object({
  /** Development and tests only: endpoints may be http://localhost or http://127.0.0.1, and
   * may resolve to loopback, private or link-local addresses (refused otherwise: SSRF). */
  WEBHOOK_ALLOW_LOCAL_URLS: z.enum(["0", "1"]).default("0"),
  /** Endpoints one organisation may register. */
  WEBHOOK_MAX_ENDPOINTS_PER_ORG: z.coerce.number().int().min(1).max(100).default(10),
  /** How often the coordinator looks for due deliveries. */
  WEBHOOK_DELIVERY_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** Bound on one delivery: connecting, sending and reading the answer. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
});
