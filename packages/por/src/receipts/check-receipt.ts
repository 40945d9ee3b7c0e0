import { hashJson } from "../crypto/canonical-json.ts";
import { verifyCountersignedReceipt, verifyReceipt, ZCountersignedReceipt, ZReceipt } from "./receipt.ts";

/** One finding of a receipt check. `ok: null` = not checked (what to pass to check it). */
export interface ReceiptCheck {
  check: "format" | "jobId" | "job" | "output" | "input" | "workerSignature" | "platformSignature";
  ok: boolean | null;
  detail: string;
}

export interface ReceiptVerdict {
  /** True only when every check ran or was optional, and none failed. */
  valid: boolean;
  jobId: string | null;
  nodeId: string | null;
  checks: ReceiptCheck[];
}

/** What the platform recorded for the job (GET /api/v1/jobs/<id>), when the check has it. */
export interface RecordedJob {
  id?: unknown;
  attempt?: unknown;
  modelId?: unknown;
  inputHash?: unknown;
  outputHash?: unknown;
  workerId?: unknown;
}

export interface CheckReceiptOptions {
  receipt: unknown;
  /** The job the caller means: a receipt of any other job is refused. */
  expectedJobId: string | undefined;
  job?: RecordedJob;
  /** The job's output as delivered; `undefined` = not available (then nothing vouches for it). */
  output: unknown;
  /** The job's input as submitted, when the caller has it. */
  input?: unknown;
  workerKey: string;
  platformKey: string | undefined;
}

/**
 * Everything a receipt vouches for, checked with public data only: it is for this job, the
 * output in hand hashes (canonical JSON, as the worker and the platform hash it) to the
 * signed outputHash, the input to the signed inputHash, and the worker's signature and the
 * platform's countersignature hold. A valid signature alone says nothing about an output
 * that was changed after signing: that is what the hash checks are for.
 */
export function checkReceipt(opts: CheckReceiptOptions): ReceiptVerdict {
  const checks: ReceiptCheck[] = [];
  const r = (opts.receipt ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const jobId = str(r.jobId);
  const nodeId = str(r.nodeId);

  const shape = (typeof r.platformSignature === "string" ? ZCountersignedReceipt : ZReceipt).safeParse(opts.receipt);
  checks.push(
    shape.success
      ? { check: "format", ok: true, detail: "receipt is well formed" }
      : {
          check: "format",
          ok: false,
          detail: `receipt is malformed: ${shape.error.issues.map((i) => `${i.path.join(".") || "receipt"}: ${i.message}`).join("; ")}`,
        },
  );

  if (opts.expectedJobId === undefined) {
    checks.push({
      check: "jobId",
      ok: false,
      detail: "no job id to check the receipt against: pass --job <id>, or the job JSON from GET /api/v1/jobs/<id>",
    });
  } else if (jobId !== opts.expectedJobId) {
    checks.push({ check: "jobId", ok: false, detail: `receipt is for job ${jobId ?? "(none)"}, not for job ${opts.expectedJobId}` });
  } else {
    checks.push({ check: "jobId", ok: true, detail: `receipt is for job ${jobId}` });
  }

  if (opts.job) {
    const job = opts.job;
    const mismatches: string[] = [];
    const same = (label: string, recorded: unknown, signed: unknown) => {
      if (recorded !== undefined && recorded !== null && recorded !== signed)
        mismatches.push(`${label} ${String(signed)} ≠ job's ${String(recorded)}`);
    };
    same("job id", job.id, r.jobId);
    same("attempt", job.attempt, r.attempt);
    same("modelId", job.modelId, r.modelId);
    same("inputHash", job.inputHash, r.inputHash);
    same("outputHash", job.outputHash, r.outputHash);
    same("worker", job.workerId, r.nodeId);
    checks.push(
      mismatches.length === 0
        ? { check: "job", ok: true, detail: "receipt agrees with the job's record (id, attempt, model, hashes, worker)" }
        : { check: "job", ok: false, detail: `receipt disagrees with the job's record: ${mismatches.join("; ")}` },
    );
  }

  if (opts.output === undefined) {
    checks.push({ check: "output", ok: false, detail: "no output to check: pass the job JSON (GET /api/v1/jobs/<id>) or --output <file>" });
  } else {
    checks.push(hashCheck("output", hashOf(opts.output), r.outputHash));
  }

  if (opts.input === undefined) {
    checks.push({ check: "input", ok: null, detail: "input not checked: pass --input <file> with the job's input to check inputHash" });
  } else {
    checks.push(hashCheck("input", hashOf(opts.input), r.inputHash));
  }

  const { platformSignature: _p, ...workerSigned } = r;
  const workerOk = verifyReceipt(workerSigned, opts.workerKey);
  checks.push({
    check: "workerSignature",
    ok: workerOk,
    detail: workerOk
      ? "worker signature holds"
      : "worker signature does not hold: a signed field was changed, or the key is not this worker's",
  });

  if (typeof r.platformSignature !== "string") {
    checks.push({
      check: "platformSignature",
      ok: false,
      detail: "receipt has no platform countersignature (the platform has not accepted this result)",
    });
  } else if (!opts.platformKey) {
    checks.push({ check: "platformSignature", ok: false, detail: "no platform public key: pass --platform-key or --url" });
  } else {
    const ok = verifyCountersignedReceipt(r, { workerPublicKey: opts.workerKey, platformPublicKey: opts.platformKey });
    checks.push({
      check: "platformSignature",
      ok,
      detail: ok ? "platform countersignature holds" : "platform countersignature does not hold for this receipt and key",
    });
  }

  return { valid: checks.every((c) => c.ok !== false), jobId, nodeId, checks };
}

/** The canonical hash, or a readable reason when the value is not plain JSON data. */
function hashOf(value: unknown): string {
  try {
    return hashJson(value);
  } catch (err) {
    return `(not hashable: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** One hash comparison of a receipt's check: what the data hashes to against what the receipt signs. */
function hashCheck(name: "output" | "input", got: string, signed: unknown): ReceiptCheck {
  return got === signed
    ? { check: name, ok: true, detail: `${name} hashes to the receipt's ${name}Hash ${got}` }
    : { check: name, ok: false, detail: `${name} does not match the receipt: it hashes to ${got}, the receipt signs ${String(signed)}` };
}
