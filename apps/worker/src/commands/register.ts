import { hostname } from "node:os";
import { generateNodeKeyPair, type NodeRequestOf, sign, ZRegisterNodeReply } from "@proofgrid/por";
import { listBuiltinModels } from "@proofgrid/models";
import { z } from "zod";
import type { WorkerConfig } from "../config.ts";
import { saveIdentity } from "../identity/node-identity.ts";
import { WORKER_VERSION } from "../version.ts";

export interface RegisterOptions {
  config: WorkerConfig;
  token: string;
  name?: string;
  region: string;
  latitude?: number;
  longitude?: number;
  cuPerHour: number;
  askPricePerCu?: number;
  /** What the capability was measured on; `start` runs on it. Default cpu. */
  executionProvider?: "cpu" | "cuda";
}

/** Creates the node's ed25519 key, registers it with the one-time token, saves node.json. */
export async function registerCommand(opts: RegisterOptions) {
  const keys = generateNodeKeyPair();
  const models = await listBuiltinModels();
  const name = opts.name ?? hostname();
  const request: NodeRequestOf<"/api/node/register"> = {
    token: opts.token,
    publicKey: keys.publicKey,
    proof: sign(keys.privateKey, `proofgrid-register-v1:${opts.token}`),
    name,
    region: opts.region,
    latitude: opts.latitude,
    longitude: opts.longitude,
    models: models.map((m) => m.id),
    claimedCuPerHour: opts.cuPerHour,
    askPricePerCu: opts.askPricePerCu,
    maxConcurrency: opts.config.CONCURRENCY,
    version: WORKER_VERSION,
    acceptsCustomModels: opts.config.ACCEPT_CUSTOM_MODELS,
  };
  // Unsigned (the node has no identity yet), so not through NodeClient; the reply is checked the same way.
  const res = await fetch(new URL("/api/node/register", opts.config.PROOFGRID_URL), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(opts.config.REQUEST_TIMEOUT_MS),
  });
  const body: unknown = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new Error(
      `registration failed (${res.status}): ${(body as { error?: { message?: string } } | null)?.error?.message ?? "no node id"}`,
    );
  const reply = ZRegisterNodeReply.safeParse(body);
  if (!reply.success)
    throw new Error(
      `registration failed: /api/node/register: the platform's reply does not match the node protocol: ${z.prettifyError(reply.error)}`,
    );
  saveIdentity(opts.config.PROOFGRID_NODE_DIR, {
    nodeId: reply.data.nodeId,
    url: opts.config.PROOFGRID_URL,
    publicKey: keys.publicKey,
    privateKey: keys.privateKey,
    region: opts.region,
    name,
    executionProvider: opts.executionProvider ?? "cpu",
  });
  return { nodeId: reply.data.nodeId, models: models.map((m) => m.slug) };
}
