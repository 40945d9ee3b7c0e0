import { Proofgrid } from "@proofgrid/sdk";
import { verifyReceipt } from "@proofgrid/sdk/verify";

export async function checkReceipt(apiKey: string, baseUrl: string, jobId: string) {
  const proofgrid = new Proofgrid({ apiKey, baseUrl });

  // The receipt, the job's record and output, and the public keys: checked offline.
  const receipt = await proofgrid.jobs.receipt(jobId);
  const verdict = verifyReceipt(receipt);
  for (const check of verdict.checks) console.log(check.ok === null ? "-" : check.ok ? "✓" : "✗", check.check, check.detail);
  return verdict; // verdict.valid: the worker's signature and the platform's countersignature hold
}
