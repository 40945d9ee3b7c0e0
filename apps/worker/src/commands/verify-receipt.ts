import { readFileSync } from "node:fs";
import { verifyCountersignedReceipt, verifyReceipt } from "@proofgrid/por";

export interface VerifyReceiptResult {
  workerSignature: boolean;
  platformSignature: boolean | null;
  valid: boolean;
}

/**
 * Checks a receipt with public keys only: the worker's ed25519 signature over the job,
 * attempt, model, input and output hashes and timings, and the platform's countersignature.
 * Keys come from flags (fully offline) or from the platform's /api/v1/public-keys.
 */
export async function verifyReceiptCommand(opts: { file: string; workerKey?: string; platformKey?: string; url?: string }): Promise<VerifyReceiptResult> {
  const text = opts.file === "-" ? readFileSync(0, "utf8") : readFileSync(opts.file, "utf8");
  const parsed = JSON.parse(text) as { receipt?: unknown; nodeId?: string };
  // Accept a bare receipt or a job as returned by GET /api/v1/jobs/<id>.
  const receipt = (parsed.receipt ?? parsed) as { nodeId?: string; platformSignature?: string };
  let { workerKey, platformKey } = opts;
  if ((!workerKey || !platformKey) && opts.url) {
    const res = await fetch(new URL(`/api/v1/public-keys?node=${encodeURIComponent(receipt.nodeId ?? "")}`, opts.url));
    if (!res.ok) throw new Error(`could not fetch public keys: ${res.status}`);
    const keys = (await res.json()) as { platform: string; node?: { publicKey: string } };
    workerKey ??= keys.node?.publicKey;
    platformKey ??= keys.platform;
  }
  if (!workerKey) throw new Error("no worker public key: pass --worker-key or --url");
  const workerSignature = verifyReceipt(stripPlatform(receipt), workerKey);
  const platformSignature = receipt.platformSignature && platformKey ? verifyCountersignedReceipt(receipt, { workerPublicKey: workerKey, platformPublicKey: platformKey }) : null;
  return { workerSignature, platformSignature, valid: workerSignature && platformSignature !== false };
}

function stripPlatform(r: object): object {
  const { platformSignature: _drop, ...rest } = r as { platformSignature?: string };
  return rest;
}
