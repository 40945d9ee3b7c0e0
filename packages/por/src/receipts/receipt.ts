import { canonicalJson } from "../crypto/canonical-json.ts";
import { sign, verify } from "../crypto/ed25519.ts";

/** What a worker attests to for one attempt of one job. */
export interface ReceiptBody {
  v: 1;
  jobId: string;
  attempt: number;
  /** sha256 of the model file(s). */
  modelId: string;
  inputHash: string;
  outputHash: string;
  startedAt: string;
  finishedAt: string;
  inferenceMs: number;
  nodeId: string;
}

export interface Receipt extends ReceiptBody {
  /** Worker's ed25519 signature over the canonical JSON of the body. */
  signature: string;
}

export interface CountersignedReceipt extends Receipt {
  /** Platform's ed25519 signature over the canonical JSON of the receipt with the worker's signature. */
  platformSignature: string;
}

const RECEIPT_DOMAIN = "proofgrid-receipt-v1:";
const COUNTERSIGN_DOMAIN = "proofgrid-receipt-countersign-v1:";

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

export function signReceipt(body: ReceiptBody, workerPrivateKey: string): Receipt {
  const clean = bodyOf(body);
  return { ...clean, signature: sign(workerPrivateKey, RECEIPT_DOMAIN + canonicalJson(clean)) };
}

/** False for any tampered field or a signature by another key; never throws. */
export function verifyReceipt(receipt: Receipt, workerPublicKey: string): boolean {
  try {
    return verify(workerPublicKey, RECEIPT_DOMAIN + canonicalJson(bodyOf(receipt)), receipt.signature);
  } catch {
    return false;
  }
}

export function countersignReceipt(receipt: Receipt, platformPrivateKey: string): CountersignedReceipt {
  const signed: Receipt = { ...bodyOf(receipt), signature: receipt.signature };
  return { ...signed, platformSignature: sign(platformPrivateKey, COUNTERSIGN_DOMAIN + canonicalJson(signed)) };
}

export function verifyCountersignedReceipt(receipt: CountersignedReceipt, keys: { workerPublicKey: string; platformPublicKey: string }): boolean {
  try {
    const signed: Receipt = { ...bodyOf(receipt), signature: receipt.signature };
    return verifyReceipt(signed, keys.workerPublicKey) && verify(keys.platformPublicKey, COUNTERSIGN_DOMAIN + canonicalJson(signed), receipt.platformSignature);
  } catch {
    return false;
  }
}
