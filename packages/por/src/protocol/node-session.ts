import { randomBytes } from "node:crypto";
import { z } from "zod";
import { sha256Hex } from "../crypto/canonical-json.ts";
import { sign, verify } from "../crypto/ed25519.ts";

// The node session: one WebSocket per node that carries the node protocol's JSON requests
// (lease, heartbeat, complete, fail, checks, goodbye) without an HTTP request, a signed-header
// check and a nonce-table write for each. A third party can write a worker from this file.
//
// 1. Open: `GET /api/node/session` with `Upgrade: websocket`, subprotocol
//    `proofgrid-node-session-v1`, signed like any node request (request-signing.ts: method
//    GET, that path, an empty body). The platform checks the signature, the ±5 minute
//    window and the nonce (recorded once, for the whole session) before it upgrades; a
//    refusal is the HTTP answer a signed request would get (401, 403), and 404 means the
//    server does not offer sessions (e.g. `next start`): use plain signed HTTP requests.
// 2. The platform's first frame is `hello`, with a random session id.
// 3. Each request is a text frame `req` with a sequence number, the node-protocol path, the
//    request's JSON text as a string, and an ed25519 signature over
//
//      proofgrid-node-session-v1\n<session id>\n<seq>\n<path>\n<sha256 hex of body>
//
//    `seq` starts at 1 and must grow with every frame: a frame whose seq is not above the last
//    one seen is a replay, refused, and the session is closed. The session id ties a frame to
//    this session, so a frame recorded from another one is refused by its signature. Nothing
//    is written to the database for a frame: replay protection is the session's own counter.
//    A `cancel` frame names the seq of a request the node gave up on (a lease long-poll at
//    shutdown): it is aborted as a hung-up HTTP request is. It needs no signature: whoever
//    can inject it can as well cut the connection, which aborts every request.
// 4. The platform answers each `req` with `res`: the same seq, the HTTP status the same
//    request would have had, and the reply (or the platform's error shape `{error: {code,
//    message}}`). Answers may come in any order (a lease waits, a heartbeat does not).
//    At most 64 requests may be in flight on one session (429 past it); a node keeps one
//    session per platform process (a newer one closes the older with 4409).
// 5. Either side may close. Requests in flight when the connection drops are aborted on the
//    platform as an HTTP request would be on a hang-up (a job claimed for an aborted lease
//    goes back to the queue; a completion runs to its end and is idempotent, so the node
//    retries it on its next session and gets `already_completed`).

export const NODE_SESSION_PATH = "/api/node/session";
export const NODE_SESSION_PROTOCOL = "proofgrid-node-session-v1";

/** Base64url of 18 random bytes. */
const SESSION_ID = /^[A-Za-z0-9_-]{24}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
/** The node-protocol paths a session carries (not register: a node has no identity before it). */
const SESSION_PATH = /^\/api\/node\/[a-z/]{1,64}$/;

export const ZSessionHello = z.object({
  t: z.literal("hello"),
  session: z.string().regex(SESSION_ID),
  nodeId: z.uuid(),
});
export type SessionHello = z.infer<typeof ZSessionHello>;

export const ZSessionRequest = z.strictObject({
  t: z.literal("req"),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  path: z.string().regex(SESSION_PATH),
  /** The request's JSON text, exactly as signed. */
  body: z.string(),
  sig: z.string().regex(SIGNATURE),
});
export type SessionRequest = z.infer<typeof ZSessionRequest>;

export const ZSessionCancel = z.strictObject({
  t: z.literal("cancel"),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export type SessionCancel = z.infer<typeof ZSessionCancel>;

/** What a node may send on a session. */
export const ZSessionClientFrame = z.discriminatedUnion("t", [ZSessionRequest, ZSessionCancel]);

export const ZSessionResponse = z.object({
  t: z.literal("res"),
  seq: z.number().int().min(1),
  status: z.number().int().min(100).max(599),
  body: z.unknown(),
});
export type SessionResponse = z.infer<typeof ZSessionResponse>;

/** The string a node signs for one session frame. */
export function sessionSigningString(fields: { session: string; seq: number; path: string; body: string }): string {
  return [NODE_SESSION_PROTOCOL, fields.session, String(fields.seq), fields.path, sha256Hex(fields.body)].join("\n");
}

/** A signed request frame, as the node sends it. */
export function signSessionRequest(opts: { session: string; seq: number; path: string; body: string; privateKey: string }): SessionRequest {
  return {
    t: "req",
    seq: opts.seq,
    path: opts.path,
    body: opts.body,
    sig: sign(opts.privateKey, sessionSigningString(opts)),
  };
}

/** Whether `frame` was signed by `publicKey` for `session`. */
export function verifySessionRequest(opts: { session: string; frame: SessionRequest; publicKey: string }): boolean {
  return verify(opts.publicKey, sessionSigningString({ session: opts.session, ...opts.frame }), opts.frame.sig);
}

/** A fresh session id. */
export function newSessionId(): string {
  return randomBytes(18).toString("base64url");
}
