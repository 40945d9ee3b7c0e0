// Offline receipt verification (Node: the signatures are checked with node:crypto). The
// checks are the worker CLI's own (`proofgrid-worker verify-receipt`; packages/por receipts/check-receipt.ts): the
// receipt is for this job, agrees with the job's record, the output in hand hashes to the
// signed outputHash (the input to the inputHash, when given), and the worker's signature
// and the platform's countersignature hold.
import { checkReceipt, type ReceiptCheck, type ReceiptVerdict } from "@proofgrid/por/receipts/check-receipt";
import type { JobReceipt } from "./client.ts";

export type { ReceiptCheck, ReceiptVerdict };

export interface VerifyReceiptOptions {
  /** The job's input as submitted, to check the signed inputHash too. */
  input?: unknown;
  /** Keys to trust instead of the ones fetched with the receipt (pinned out of band). */
  workerKey?: string;
  platformKey?: string;
}

/**
 * Checks a receipt from `client.jobs.receipt(id)` with public data only. `valid` is true only
 * when every check ran and none failed; each check says what it found.
 */
export function verifyReceipt(bundle: JobReceipt, opts: VerifyReceiptOptions = {}): ReceiptVerdict {
  const workerKey = opts.workerKey ?? bundle.keys.node?.publicKey;
  if (!workerKey) {
    return {
      valid: false,
      jobId: bundle.jobId,
      nodeId: null,
      checks: [{ check: "workerSignature", ok: false, detail: "no worker public key: the job has not run on a worker yet" }],
    };
  }
  const { job } = bundle;
  return checkReceipt({
    receipt: bundle.receipt,
    expectedJobId: bundle.jobId,
    job: {
      id: job.id,
      attempt: job.attempt,
      modelId: job.modelId,
      inputHash: job.inputHash,
      outputHash: job.outputHash,
      workerId: job.workerId,
    },
    output: "output" in job && job.output !== null ? job.output : undefined,
    input: opts.input,
    workerKey,
    platformKey: opts.platformKey ?? bundle.keys.platform,
  });
}
