import { verifySignedRequest } from "@proofgrid/por";
import { LRUCache } from "lru-cache";
import { loadNodeIdentity, type NodeIdentityRow, recordNonceAndLoadIdentity } from "@proofgrid/db/nodes/node-identity";
import { markNodeSeen } from "@proofgrid/db/nodes/node-presence";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";

/** The node a signed request came from (packages/db nodes/node-identity.ts). */
export type NodeIdentity = NodeIdentityRow;

const REASONS: Record<string, string> = {
  missing_headers: "unsigned node request: x-pg-node, x-pg-timestamp, x-pg-nonce and x-pg-signature are required",
  bad_timestamp: "malformed x-pg-timestamp",
  malformed_headers: "malformed signature headers (repeated, too long or invalid characters)",
  stale: "request timestamp outside the ±5 minute window",
  unknown_node: "unknown node",
  bad_signature: "bad signature (the body, path or method does not match what was signed)",
};

// last_seen_at feeds the online/offline view; one write per node per 5 s is plenty.
const LAST_SEEN_WRITE_MS = 5_000;
/** Nodes throttled at once: the network size the indexer is built for. Past it a node writes early, no harm. */
const MAX_THROTTLED_NODES = 100_000;
// A node is here while its last write is younger than the interval: the ttl is the throttle.
const lastSeenWritten = new LRUCache<string, true>({ max: MAX_THROTTLED_NODES, ttl: LAST_SEEN_WRITE_MS });
/**
 * A node's public key never changes (a new key is a new registration, a new node id), so it
 * is kept here once read: the signature is checked in memory, and a request then costs one
 * statement (the nonce and the node's current identity together), not two. What can change
 * — status, role, models, removal — is read fresh on every request by that statement.
 */
const publicKeys = new LRUCache<string, string>({ max: MAX_THROTTLED_NODES });

/**
 * Checks a node request's ed25519 signature (over node id, timestamp, nonce, method,
 * path and body digest), its ±5 minute window, and that its nonce was never used: the
 * nonce insert is the replay check, so a replayed request is refused even within the
 * window. Rows older than the window are purged by the coordinator. The nonce is recorded
 * only after the signature checks out, so unsigned traffic writes nothing.
 */
export async function authenticateNode(req: { headers: Headers; method: string; path: string; body: Uint8Array }): Promise<NodeIdentity> {
  const result = await verifySignedRequest({
    headers: req.headers,
    method: req.method,
    path: req.path,
    body: req.body,
    now: Date.now(),
    maxSkewMs: getEnv().NODE_SIGNATURE_MAX_SKEW_MS,
    publicKeyFor: publicKeyOf,
  });
  if (!result.ok) throw new AppError("UNAUTHORIZED", REASONS[result.reason] ?? "unauthorized node request", { reason: result.reason });

  const found = await recordNonceAndLoadIdentity(sql(), { nodeId: result.nodeId, nonce: result.nonce });
  // Removed since its key was cached: unknown from now on.
  if (!found) throw new AppError("UNAUTHORIZED", REASONS.unknown_node ?? "unknown node");
  const { fresh, ...identity } = found;
  if (!fresh) throw new AppError("UNAUTHORIZED", "replayed request: nonce already used", { reason: "replay" });

  await noteNodeSeen(identity);
  return identity;
}

/** The node's registered public key (cached: it never changes), or null for no such node. */
export async function publicKeyOf(nodeId: string): Promise<string | null> {
  if (!/^[0-9a-f-]{36}$/i.test(nodeId)) return null;
  const known = publicKeys.get(nodeId);
  if (known) return known;
  const node = await loadNodeIdentity(sql(), { nodeId });
  if (node) publicKeys.set(nodeId, node.publicKey);
  return node?.publicKey ?? null;
}

/**
 * The node was heard from: its last_seen_at is written at most every LAST_SEEN_WRITE_MS,
 * and at once when it was offline (it is online again, and its open outage ends now).
 */
export async function noteNodeSeen(identity: NodeIdentity): Promise<void> {
  if (lastSeenWritten.has(identity.id) && identity.status !== "offline") return;
  lastSeenWritten.set(identity.id, true);
  await markNodeSeen(sql(), { nodeId: identity.id });
  if (identity.status === "offline") identity.status = "online";
}
