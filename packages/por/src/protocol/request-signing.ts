import { randomBytes } from "node:crypto";
import { sha256Hex } from "../crypto/canonical-json.ts";
import { sign, verify } from "../crypto/ed25519.ts";

// Signed node requests. A node signs one canonical string per HTTP request:
//
//   proofgrid-node-v1\n<node id>\n<timestamp ms>\n<nonce>\n<METHOD>\n<path?query>\n<sha256 hex of body>
//
// Every field has a charset without "\n", so the string splits back into exactly one tuple:
// no choice of fields can make two different requests sign the same bytes. The version tag
// keeps these signatures apart from receipts and registration proofs made with the same key.
//
// Replay: this module checks the signature and the ±maxSkewMs window only. The nonce must be
// checked by the caller against shared state (the platform inserts (node id, nonce) into
// `node_nonces` and refuses a conflict), and kept for `nonceRetentionMs(maxSkewMs)`.

export const SIGNATURE_VERSION = "proofgrid-node-v1";
/** ±5 minutes: design.md's window; wide enough for unsynchronised home machines. */
export const DEFAULT_MAX_SKEW_MS = 300_000;
/** 16 bytes = 128 bits: a collision between two honest nonces never happens in practice. */
export const MIN_NONCE_BYTES = 16;
const DEFAULT_NONCE_BYTES = 18;

export const NODE_HEADERS = {
  node: "x-pg-node",
  timestamp: "x-pg-timestamp",
  nonce: "x-pg-nonce",
  signature: "x-pg-signature",
} as const;

// Each header is bounded and has a charset before any work is done on it.
const NODE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
// 16..64 bytes of base64url (22..86 characters).
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,86}$/;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;
// A 64-byte signature is 86 characters; `verify` checks the exact form.
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;
const METHOD_PATTERN = /^[A-Z]{1,16}$/;
/** Path and query: starts with "/", printable ASCII without spaces (URL-encoded form). */
const PATH_PATTERN = /^\/[\x21-\x7e]{0,2047}$/;

export type SignedHeaders = Record<(typeof NODE_HEADERS)[keyof typeof NODE_HEADERS], string>;

export interface RequestSigningFields {
  nodeId: string;
  timestamp: string;
  nonce: string;
  method: string;
  path: string;
  bodySha256: string;
}

/** The exact string a node signs: version, identity, time, nonce, method, path, body digest. */
export function requestSigningString(fields: RequestSigningFields): string {
  return [
    SIGNATURE_VERSION,
    fields.nodeId,
    fields.timestamp,
    fields.nonce,
    fields.method.toUpperCase(),
    fields.path,
    fields.bodySha256,
  ].join("\n");
}

/** The path-and-query to sign for a URL, spelled the way the WHATWG URL parser spells it, so
 * client (`fetch(new URL(path, base))`) and server (`new URL(request.url)`) agree. */
export function pathForSigning(url: string | URL): string {
  const parsed = typeof url === "string" ? new URL(url, "http://node.invalid") : url;
  return `${parsed.pathname}${parsed.search}`;
}

/** How long the caller must remember an accepted nonce. A request stamped t is accepted while
 * now ∈ [t − skew, t + skew], so a nonce first seen at t − skew can come back until t + skew. */
export function nonceRetentionMs(maxSkewMs: number = DEFAULT_MAX_SKEW_MS): number {
  return 2 * maxSkewMs;
}

export interface SignRequestOptions {
  nodeId: string;
  /** The node's ed25519 seed, base64url. */
  privateKey: string;
  method: string;
  /** Path and query exactly as sent, e.g. `/api/node/lease?wait=1`. */
  path: string;
  /** The exact body bytes sent; a string is taken as UTF-8. Omit for an empty body. */
  body?: Uint8Array | string;
  /** Milliseconds since the epoch; default Date.now(). */
  now?: number;
  /** base64url of ≥16 random bytes; default 18 fresh random bytes. */
  nonce?: string;
}

/** Signs one request. Throws on a malformed node id, method, path, nonce or time: these come
 * from the node's own code, so a bad one is a bug to surface, not input to tolerate. */
export function signRequest(options: SignRequestOptions): SignedHeaders {
  const timestamp = String(Math.trunc(options.now ?? Date.now()));
  const nonce = options.nonce ?? randomBytes(DEFAULT_NONCE_BYTES).toString("base64url");
  const method = options.method.toUpperCase();
  if (!NODE_ID_PATTERN.test(options.nodeId)) throw new TypeError(`signRequest: node id must match ${NODE_ID_PATTERN}`);
  if (!TIMESTAMP_PATTERN.test(timestamp)) throw new RangeError(`signRequest: now must be a non-negative time in ms, got ${options.now}`);
  if (!NONCE_PATTERN.test(nonce)) throw new TypeError(`signRequest: nonce must be base64url of ${MIN_NONCE_BYTES}..64 bytes`);
  if (!METHOD_PATTERN.test(method)) throw new TypeError(`signRequest: bad HTTP method ${JSON.stringify(options.method)}`);
  if (!PATH_PATTERN.test(options.path)) throw new TypeError(`signRequest: path must start with "/" and be URL-encoded, ≤2048 characters`);
  const message = requestSigningString({
    nodeId: options.nodeId,
    timestamp,
    nonce,
    method,
    path: options.path,
    bodySha256: sha256Hex(options.body ?? ""),
  });
  return {
    [NODE_HEADERS.node]: options.nodeId,
    [NODE_HEADERS.timestamp]: timestamp,
    [NODE_HEADERS.nonce]: nonce,
    [NODE_HEADERS.signature]: sign(options.privateKey, message),
  };
}

export type VerifyRequestFailure =
  /** One of the four headers is absent or empty. */
  | "missing_headers"
  /** A header is present but repeated, too long or outside its charset; or the method or path is. */
  | "malformed_headers"
  | "bad_timestamp"
  | "stale"
  | "unknown_node"
  | "bad_signature";

export type VerifyRequestResult =
  | { ok: true; nodeId: string; nonce: string; timestamp: number }
  | { ok: false; reason: VerifyRequestFailure };

/** A fetch `Headers` (or anything with `get`), or Node's `IncomingHttpHeaders`-style record. */
export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifySignedRequestOptions {
  headers: HeaderSource;
  method: string;
  /** Path and query as received (see `pathForSigning`). */
  path: string;
  /** The exact body bytes received; omit for an empty body. */
  body?: Uint8Array | string;
  /** The node's registered public key, or null if there is no such node. May hit a database. */
  publicKeyFor: (nodeId: string) => Promise<string | null | undefined> | string | null | undefined;
  /** Milliseconds since the epoch; default Date.now(). */
  now?: number;
  maxSkewMs?: number;
}

/**
 * Verifies a signed node request: headers present and well-formed, timestamp within
 * ±maxSkewMs of now, node known, signature valid. Checks run cheapest first, so a stale or
 * malformed request costs no key lookup. Never throws unless `publicKeyFor` does.
 *
 * It does NOT check the nonce for reuse: on `ok`, the caller must record (nodeId, nonce)
 * atomically and refuse the request if it was already there, and keep it for
 * `nonceRetentionMs(maxSkewMs)`.
 */
export async function verifySignedRequest(options: VerifySignedRequestOptions): Promise<VerifyRequestResult> {
  const nodeId = readHeader(options.headers, NODE_HEADERS.node);
  const timestamp = readHeader(options.headers, NODE_HEADERS.timestamp);
  const nonce = readHeader(options.headers, NODE_HEADERS.nonce);
  const signature = readHeader(options.headers, NODE_HEADERS.signature);
  const headers = [nodeId, timestamp, nonce, signature];
  if (headers.some((value) => value === undefined || value === "")) return { ok: false, reason: "missing_headers" };
  if (headers.some((value) => value === null)) return { ok: false, reason: "malformed_headers" };
  if (typeof nodeId !== "string" || typeof timestamp !== "string" || typeof nonce !== "string" || typeof signature !== "string") {
    return { ok: false, reason: "malformed_headers" };
  }
  const method = options.method.toUpperCase();
  if (
    !NODE_ID_PATTERN.test(nodeId) ||
    !NONCE_PATTERN.test(nonce) ||
    !SIGNATURE_PATTERN.test(signature) ||
    !METHOD_PATTERN.test(method) ||
    !PATH_PATTERN.test(options.path)
  ) {
    return { ok: false, reason: "malformed_headers" };
  }
  if (!TIMESTAMP_PATTERN.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const sentAt = Number(timestamp);
  const now = options.now ?? Date.now();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (!(Math.abs(now - sentAt) <= maxSkewMs)) return { ok: false, reason: "stale" };
  const publicKey = await options.publicKeyFor(nodeId);
  if (!publicKey) return { ok: false, reason: "unknown_node" };
  const message = requestSigningString({ nodeId, timestamp, nonce, method, path: options.path, bodySha256: sha256Hex(options.body ?? "") });
  if (!verify(publicKey, message, signature)) return { ok: false, reason: "bad_signature" };
  return { ok: true, nodeId, nonce, timestamp: sentAt };
}

/** The header's single value; undefined when absent; null when repeated (ambiguous). */
function readHeader(headers: HeaderSource, name: string): string | null | undefined {
  if (typeof headers.get === "function") {
    const value = (headers as { get(name: string): string | null }).get(name);
    // fetch Headers joins repeated headers with ", "; none of our values contains one.
    if (value === null) return undefined;
    return value.includes(",") ? null : value;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let value = Object.hasOwn(record, name) ? record[name] : undefined;
  if (value === undefined) {
    // Plain records may keep the sender's casing; header names are case-insensitive.
    const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  if (value === undefined) return undefined;
  if (typeof value !== "string") return value.length === 1 && typeof value[0] === "string" ? value[0] : null;
  return value;
}
