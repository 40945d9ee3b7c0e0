import { OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { buildRegistry } from "./registry.ts";

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

const TAGS = [
  { name: "Jobs", description: "Submit inference jobs, wait for them, read their verification." },
  { name: "Models", description: "The model catalog." },
  { name: "Market", description: "Workers, prices and regions: public." },
  { name: "Reservations", description: "Reserved workers for a window." },
  { name: "Billing", description: "Balance, purchases and history." },
  { name: "Nodes", description: "A provider's workers: registration, settings, stake and diagnostics." },
  { name: "Payouts", description: "A provider's payout address and withdrawals." },
  { name: "Rewards", description: "Epoch rewards and their emissions." },
  { name: "Network", description: "The explorer's public numbers." },
  { name: "Verification", description: "Proof of result: receipts' keys and per-epoch statistics." },
  { name: "Webhooks", description: "Signed events (Standard Webhooks) posted to your https endpoints, retried, logged." },
  { name: "OpenAI-compatible", description: "OpenAI's API at /v1 with the same keys: set an OpenAI client's baseURL to <host>/v1." },
  { name: "Meta", description: "This document." },
];

let cached: OpenApiDocument | undefined;

/** The REST API's OpenAPI 3.1 document, generated once per process from the routes' zod schemas. */
export function getOpenApiDocument(): OpenApiDocument {
  cached ??= new OpenApiGeneratorV31(buildRegistry().definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Proofgrid API",
      version: "1.0.0",
      description:
        "Verified AI inference. Authenticate with an organisation's API key: `Authorization: Bearer pg_…`. Money is in token base units (1 token = 10^6) as decimal strings. Every error has the shape of `Error`.",
    },
    servers: [{ url: "/", description: "This deployment" }],
    tags: TAGS,
  });
  return cached;
}
