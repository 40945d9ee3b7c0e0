import { sha256Hex } from "../crypto/canonical-json.ts";
import { sign, verify } from "../crypto/ed25519.ts";
import { randomBytes } from "node:crypto";

export const SIGNATURE_VERSION = "proofgrid-node-v1";
export const DEFAULT_MAX_SKEW_MS = 300_000;

export const NODE_HEADERS = {
  node: "x-pg-node",
  timestamp: "x-pg-timestamp",
  nonce: "x-pg-nonce",
  signature: "x-pg-signature",
} as const;

// Header values are bounded before any work: a uuid, 13-digit milliseconds, a nonce of
// 16–64 bytes, a 64-byte signature.
const MAX_HEADER = { node: 64, timestamp: 16, nonce: 88, signature: 100 } as const;

export type SignedHeaders = Record<(typeof NODE_HEADERS)[keyof typeof NODE_HEADERS], string>;

/** The exact string a node signs: version, identity, time, nonce, method, path, body digest. */
export function requestSigningString(p: { nodeId: string; timestamp: string; nonce: string; method: string; path: string; bodySha256: string }): string {
  return [SIGNATURE_VERSION, p.nodeId, p.timestamp, p.nonce, p.method.toUpperCase(), p.path, p.bodySha256].join("\n");
}

export function signRequest(opts: {
  nodeId: string;
  privateKey: string;
  method: string;
  /** Path and query exactly as sent, e.g. `/api/node/lease`. */
  path: string;
  body: Uint8Array | string;
  now?: number;
  nonce?: string;
}): SignedHeaders {
  const timestamp = String(Math.trunc(opts.now ?? Date.now()));
  const nonce = opts.nonce ?? randomBytes(18).toString("base64url");
  const message = requestSigningString({ nodeId: opts.nodeId, timestamp, nonce, method: opts.method, path: opts.path, bodySha256: sha256Hex(opts.body) });
  return {
    [NODE_HEADERS.node]: opts.nodeId,
    [NODE_HEADERS.timestamp]: timestamp,
    [NODE_HEADERS.nonce]: nonce,
    [NODE_HEADERS.signature]: sign(opts.privateKey, message),
  } as SignedHeaders;
}

export type VerifyRequestResult =
  | { ok: true; nodeId: string; nonce: string; timestamp: number }
  | { ok: false; reason: "missing_headers" | "bad_timestamp" | "stale" | "unknown_node" | "bad_signature" };

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * Verifies a signed node request. It does not check the nonce for reuse: that needs
 * shared state, so the caller records each accepted nonce (the platform inserts it into
 * `node_nonces` and refuses a duplicate) for as long as the ±`maxSkewMs` window lasts.
 */
export async function verifySignedRequest(opts: {
  headers: HeaderSource | Record<string, string | undefined>;
  method: string;
  path: string;
  body: Uint8Array | string;
  publicKeyFor: (nodeId: string) => Promise<string | null> | string | null;
  now?: number;
  maxSkewMs?: number;
}): Promise<VerifyRequestResult> {
  const get = (name: string): string | null => {
    const h = opts.headers as HeaderSource & Record<string, string | undefined>;
    return typeof h.get === "function" ? h.get(name) : (h[name] ?? null);
  };
  const nodeId = get(NODE_HEADERS.node);
  const timestamp = get(NODE_HEADERS.timestamp);
  const nonce = get(NODE_HEADERS.nonce);
  const signature = get(NODE_HEADERS.signature);
  if (!nodeId || !timestamp || !nonce || !signature) return { ok: false, reason: "missing_headers" };
  if (nodeId.length > MAX_HEADER.node || nonce.length > MAX_HEADER.nonce || nonce.length < 16 || signature.length > MAX_HEADER.signature) {
    return { ok: false, reason: "missing_headers" };
  }
  if (timestamp.length > MAX_HEADER.timestamp || !/^\d+$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const ts = Number(timestamp);
  const now = opts.now ?? Date.now();
  if (Math.abs(now - ts) > (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) return { ok: false, reason: "stale" };
  const publicKey = await opts.publicKeyFor(nodeId);
  if (!publicKey) return { ok: false, reason: "unknown_node" };
  const message = requestSigningString({ nodeId, timestamp, nonce, method: opts.method, path: opts.path, bodySha256: sha256Hex(opts.body) });
  if (!verify(publicKey, message, signature)) return { ok: false, reason: "bad_signature" };
  return { ok: true, nodeId, nonce, timestamp: ts };
}
