import { z } from "zod";
import { ZCountersignedReceipt } from "../receipts/receipt.ts";
import { ZCheckReport, ZCheckTask } from "./check-task.ts";
import { ZLeasedJob } from "./leased-job.ts";

// The node protocol's messages, one schema per request and per reply, so the platform and
// the worker read the same definition: the platform validates every request with these,
// and the worker validates every reply. Requests carry the platform's limits. Replies are
// plain objects, not strict ones: a platform that adds a field does not break the workers
// already deployed, which ignore it.

const SHA256_HEX = /^[0-9a-f]{64}$/;
const FENCING_ATTEMPT = z.number().int().min(1).max(1_000);

// The rule of the web's pgText (apps/web/src/server/http/safe-text.ts): Postgres cannot
// store U+0000 or half a surrogate pair. Repeated here because por may import only zod.
const UNSAFE_TEXT_MESSAGE = "must not contain U+0000 (NUL) or unpaired UTF-16 surrogates";
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storableText = () => z.string().refine((s) => !s.includes("\u0000") && !LONE_SURROGATE.test(s), { message: UNSAFE_TEXT_MESSAGE });

// ---- POST /api/node/register (unsigned: the one-time token authorises it) ----

/** The platform also checks `region` against its region catalogue, which por does not hold. */
export const ZRegisterNodeRequest = z.object({
  token: z.string().regex(/^pgr_[A-Za-z0-9_-]{43}$/, "malformed registration token"),
  /** Raw ed25519 public key, base64url (32 bytes). */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "publicKey must be a raw ed25519 key in base64url"),
  /** Signature of `proofgrid-register-v1:<token>` with the node's key: proof it holds the key. */
  proof: z.string().min(16).max(200),
  name: storableText().trim().min(1).max(80),
  /** A region id (GET /api/v1/regions), or `local` for a worker on the platform's own machine. */
  region: z.string().regex(/^[a-z0-9-]{2,40}$/, "region must be lowercase letters, digits and dashes"),
  /** Asking price in base units per CU (per CU-hour of capacity); default: the list price. */
  askPricePerCu: z.number().int().positive().max(1e12).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
  /** Model ids (sha256) this node can run. */
  models: z.array(z.string().regex(SHA256_HEX)).min(1).max(64),
  claimedCuPerHour: z.number().int().min(1).max(100_000_000),
  maxConcurrency: z.number().int().min(1).max(64).default(1),
  version: z.string().max(40).optional(),
  /** Runs customers' uploaded models too (issue 17; the worker's ACCEPT_CUSTOM_MODELS). Default false. */
  acceptsCustomModels: z.boolean().optional(),
});
export type RegisterNodeRequest = z.infer<typeof ZRegisterNodeRequest>;

export const ZRegisterNodeReply = z.object({
  nodeId: z.uuid(),
  orgId: z.uuid(),
  role: z.enum(["worker", "checker"]),
});
export type RegisterNodeReply = z.infer<typeof ZRegisterNodeReply>;

// ---- POST /api/node/lease ----

/** A long poll: how long to hold the request open when nothing is there (at most 30 s). */
const longPoll = (defaultWaitMs: number) => z.object({ waitMs: z.number().int().min(0).max(30_000).default(defaultWaitMs) });

export const ZLeaseRequest = longPoll(25_000);
export type LeaseRequest = z.infer<typeof ZLeaseRequest>;

/** `job: null` when the long poll ended with nothing to run. */
export const ZLeaseReply = z.object({ job: ZLeasedJob.nullable() });
export type LeaseReply = z.infer<typeof ZLeaseReply>;

// ---- POST /api/node/heartbeat ----

export const ZHeartbeatRequest = z.object({
  leases: z.array(z.object({ jobId: z.uuid(), attempt: FENCING_ATTEMPT })).max(64),
  /** Models resident in the worker's memory (sha256 ids): the indexer's warm-cache term. */
  loadedModels: z.array(z.string().regex(SHA256_HEX)).max(256).optional(),
  /** Share of the machine's CPU other processes used since the last heartbeat (0..1). */
  machineBusy: z.number().min(0).max(1).optional(),
  /** Runs customers' uploaded models (issue 17): the worker's current ACCEPT_CUSTOM_MODELS, so a
   * restart with another setting takes effect without registering again. Absent: unchanged. */
  acceptsCustomModels: z.boolean().optional(),
});
export type HeartbeatRequest = z.infer<typeof ZHeartbeatRequest>;

/** One entry per lease the node named; `ok: false` tells the worker to abandon that job. */
export const ZHeartbeatReply = z.object({
  leases: z.array(
    z.object({
      jobId: z.uuid(),
      attempt: z.number().int().min(1),
      ok: z.boolean(),
      leaseExpiresAt: z.iso.datetime().nullable(),
    }),
  ),
  status: z.enum(["online", "offline", "quarantined"]),
});
export type HeartbeatReply = z.infer<typeof ZHeartbeatReply>;

// ---- POST /api/node/complete ----

/** The receipt as a completion carries it. The platform verifies it in full (verifyReceipt),
 * so these are only the bounds that keep a malformed one from reaching the check. */
const ZSubmittedReceipt = z.object({
  v: z.literal(1),
  jobId: z.uuid(),
  attempt: z.number().int().min(1),
  modelId: z.string().regex(SHA256_HEX),
  inputHash: z.string().regex(SHA256_HEX),
  outputHash: z.string().regex(SHA256_HEX),
  startedAt: z.string().max(40),
  finishedAt: z.string().max(40),
  inferenceMs: z.number().min(0).max(86_400_000),
  nodeId: z.uuid(),
  signature: z.string().min(16).max(200),
});

export const ZCompleteJobRequest = z.object({
  jobId: z.uuid(),
  attempt: FENCING_ATTEMPT,
  output: z.unknown(),
  receipt: ZSubmittedReceipt,
});
export type CompleteJobRequest = z.infer<typeof ZCompleteJobRequest>;

/** `already_completed`: a retried completion of a result already accepted; same receipt. */
export const ZCompleteJobReply = z.object({
  status: z.enum(["accepted", "already_completed"]),
  receipt: ZCountersignedReceipt,
});
export type CompleteJobReply = z.infer<typeof ZCompleteJobReply>;

// ---- POST /api/node/fail ----

export const ZFailJobRequest = z.object({
  jobId: z.uuid(),
  attempt: FENCING_ATTEMPT,
  /** `release`: the worker is shutting down and hands the job back unrun. */
  kind: z.enum(["error", "release"]),
  /** An error in the input itself (not the node) fails the job without retry. */
  retryable: z.boolean().default(true),
  error: storableText().max(2_000).default(""),
});
export type FailJobRequest = z.infer<typeof ZFailJobRequest>;

/** Where the job went: back to the queue, or failed for good. */
export const ZFailJobReply = z.object({ state: z.enum(["queued", "failed"]) });
export type FailJobReply = z.infer<typeof ZFailJobReply>;

// ---- POST /api/node/checks/lease ----

export const ZCheckLeaseRequest = longPoll(20_000);
export type CheckLeaseRequest = z.infer<typeof ZCheckLeaseRequest>;

/** `check: null` when the long poll ended with nothing to check. */
export const ZCheckLeaseReply = z.object({ check: ZCheckTask.nullable() });
export type CheckLeaseReply = z.infer<typeof ZCheckLeaseReply>;

// ---- POST /api/node/checks/report (request: ZCheckReport, in check-task.ts) ----

/** `refused`: the report's verdicts do not follow from its own outputs; the check goes to another checker. */
export const ZCheckReportReply = z.object({ status: z.enum(["accepted", "already_reported", "refused"]) });
export type CheckReportReply = z.infer<typeof ZCheckReportReply>;

// ---- POST /api/node/goodbye ----

/** A goodbye carries nothing: the signed request is the statement. */
export const ZGoodbyeRequest = z.strictObject({});
export type GoodbyeRequest = z.infer<typeof ZGoodbyeRequest>;

export const ZGoodbyeReply = z.object({
  status: z.enum(["offline", "quarantined"]),
  /** Offers made to the node that go back to the queue. */
  offersReturned: z.number().int().min(0),
});
export type GoodbyeReply = z.infer<typeof ZGoodbyeReply>;

/** Every node-protocol endpoint, by path: what it accepts and what it answers. */
export const NODE_PROTOCOL = {
  "/api/node/register": { request: ZRegisterNodeRequest, reply: ZRegisterNodeReply },
  "/api/node/lease": { request: ZLeaseRequest, reply: ZLeaseReply },
  "/api/node/heartbeat": { request: ZHeartbeatRequest, reply: ZHeartbeatReply },
  "/api/node/complete": { request: ZCompleteJobRequest, reply: ZCompleteJobReply },
  "/api/node/fail": { request: ZFailJobRequest, reply: ZFailJobReply },
  "/api/node/checks/lease": { request: ZCheckLeaseRequest, reply: ZCheckLeaseReply },
  "/api/node/checks/report": { request: ZCheckReport, reply: ZCheckReportReply },
  "/api/node/goodbye": { request: ZGoodbyeRequest, reply: ZGoodbyeReply },
} as const;

/**
 * The node-protocol endpoints that answer bytes, not JSON: signed GETs like the others (an
 * empty body's digest), with their own HTTP semantics.
 */
export const NODE_BINARY_ROUTES = {
  /** A model's bytes by its sha256 (issue 17), for a node holding a job or check of it: Range
   * requests answer 206 with Content-Range (resumable), a bad range 416, anything else 404. */
  "/api/node/models/[id]": { method: "GET", answers: "application/octet-stream" },
} as const;

export type NodePath = keyof typeof NODE_PROTOCOL;
/** What a node sends to `P`, before the platform applies its defaults. */
export type NodeRequestOf<P extends NodePath> = z.input<(typeof NODE_PROTOCOL)[P]["request"]>;
/** What the platform answers on `P`. */
export type NodeReplyOf<P extends NodePath> = z.output<(typeof NODE_PROTOCOL)[P]["reply"]>;
