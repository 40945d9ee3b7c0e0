import { z } from "zod";
import { canonicalJson } from "../crypto/canonical-json.ts";
import { sign, verify } from "../crypto/ed25519.ts";

// A receipt is the worker's signed statement "I, node N, ran model M on input I for attempt A
// of job J and produced output O, between these times". The platform countersigns it once it
// has accepted the result. Anyone holding both public keys can check it offline.
//
// Signed bytes:   "proofgrid-receipt-v1:" + canonicalJson(body)
// Countersigned:  "proofgrid-receipt-countersign-v1:" + canonicalJson(body + signature)
// The prefixes keep receipt signatures apart from signed requests and registration proofs
// made with the same key. Changing these strings invalidates every stored receipt.

export const RECEIPT_DOMAIN = "proofgrid-receipt-v1:";
export const COUNTERSIGN_DOMAIN = "proofgrid-receipt-countersign-v1:";

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** `Date.prototype.toISOString()` output: UTC, millisecond precision. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
/** One day: far beyond any job's lease, small enough to catch unit mistakes (µs for ms). */
export const MAX_RECEIPT_INFERENCE_MS = 86_400_000;

const ZIsoUtc = z
  .string()
  .regex(ISO_UTC, "must be an ISO 8601 UTC time with milliseconds (Date#toISOString)")
  .refine((text) => {
    const time = Date.parse(text);
    return !Number.isNaN(time) && new Date(time).toISOString() === text;
  }, "not a real calendar time");

/** The fields a worker signs, and nothing else (strict: unknown keys are refused, because
 * they would be unsigned yet displayed next to signed ones). */
export const ZReceiptBody = z
  .strictObject({
    v: z.literal(1),
    jobId: z.string().regex(ID),
    /** Lease attempt (the fencing token). */
    attempt: z.number().int().min(0).max(1_000_000),
    /** sha256 of the model file(s). */
    modelId: z.string().regex(SHA256_HEX),
    /** hashJson of the job input. */
    inputHash: z.string().regex(SHA256_HEX),
    /** hashJson of the output. */
    outputHash: z.string().regex(SHA256_HEX),
    startedAt: ZIsoUtc,
    finishedAt: ZIsoUtc,
    /** Time inside the inference call; may be fractional (sub-millisecond models). */
    inferenceMs: z.number().min(0).max(MAX_RECEIPT_INFERENCE_MS),
    nodeId: z.string().regex(ID),
  })
  .refine((body) => body.finishedAt >= body.startedAt, { message: "finishedAt is before startedAt", path: ["finishedAt"] });

export type ReceiptBody = z.infer<typeof ZReceiptBody>;

const RECEIPT_SHAPE = {
  v: z.literal(1),
  jobId: z.string(),
  attempt: z.number(),
  modelId: z.string(),
  inputHash: z.string(),
  outputHash: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  inferenceMs: z.number(),
  nodeId: z.string(),
};

/** A worker-signed receipt (flat: the body's fields plus `signature`). */
export const ZReceipt = z
  .strictObject({ ...RECEIPT_SHAPE, signature: z.string().regex(SIGNATURE) })
  .refine((value) => ZReceiptBody.safeParse(bodyOf(value)).success, "receipt body is malformed");

/** A receipt with the platform's countersignature. */
export const ZCountersignedReceipt = z
  .strictObject({ ...RECEIPT_SHAPE, signature: z.string().regex(SIGNATURE), platformSignature: z.string().regex(SIGNATURE) })
  .refine((value) => ZReceiptBody.safeParse(bodyOf(value)).success, "receipt body is malformed");

export interface Receipt extends ReceiptBody {
  /** Worker's ed25519 signature over RECEIPT_DOMAIN + canonical JSON of the body. */
  signature: string;
}

export interface CountersignedReceipt extends Receipt {
  /** Platform's ed25519 signature over COUNTERSIGN_DOMAIN + canonical JSON of the receipt
   * including the worker's signature. */
  platformSignature: string;
}

/** The exact bytes a worker signs (as a UTF-8 string). */
export function receiptSigningMessage(body: ReceiptBody): string {
  return RECEIPT_DOMAIN + canonicalJson(bodyOf(body));
}

/** The exact bytes the platform countersigns (as a UTF-8 string). */
export function receiptCountersigningMessage(receipt: Receipt): string {
  return COUNTERSIGN_DOMAIN + canonicalJson({ ...bodyOf(receipt), signature: receipt.signature });
}

/** Signs a receipt body with the worker's key. Throws if the body is malformed (a bug in the
 * worker, better caught before the platform refuses the result). */
export function signReceipt(body: ReceiptBody, workerPrivateKey: string): Receipt {
  const clean = ZReceiptBody.parse(bodyOf(body));
  return { ...clean, signature: sign(workerPrivateKey, receiptSigningMessage(clean)) };
}

/** True only for a well-formed receipt signed by `workerPublicKey`. False for any tampered
 * field, unknown extra field or other key; never throws. */
export function verifyReceipt(receipt: unknown, workerPublicKey: string): boolean {
  const parsed = ZReceipt.safeParse(receipt);
  if (!parsed.success) return false;
  return verify(workerPublicKey, receiptSigningMessage(parsed.data), parsed.data.signature);
}

/** Adds the platform's countersignature. The caller must have verified the worker's
 * signature first (`verifyReceipt`): countersigning is the platform vouching for it. */
export function countersignReceipt(receipt: Receipt, platformPrivateKey: string): CountersignedReceipt {
  const clean: Receipt = { ...ZReceiptBody.parse(bodyOf(receipt)), signature: receipt.signature };
  return { ...clean, platformSignature: sign(platformPrivateKey, receiptCountersigningMessage(clean)) };
}

/** True only if both the worker's signature and the platform's countersignature hold. Never throws. */
export function verifyCountersignedReceipt(receipt: unknown, keys: { workerPublicKey: string; platformPublicKey: string }): boolean {
  const parsed = ZCountersignedReceipt.safeParse(receipt);
  if (!parsed.success) return false;
  const { platformSignature, ...signed } = parsed.data;
  return (
    verify(keys.workerPublicKey, receiptSigningMessage(signed), signed.signature) &&
    verify(keys.platformPublicKey, receiptCountersigningMessage(signed), platformSignature)
  );
}

function bodyOf(r: ReceiptBody): ReceiptBody {
  return {
    v: r.v,
    jobId: r.jobId,
    attempt: r.attempt,
    modelId: r.modelId,
    inputHash: r.inputHash,
    outputHash: r.outputHash,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    inferenceMs: r.inferenceMs,
    nodeId: r.nodeId,
  };
}
