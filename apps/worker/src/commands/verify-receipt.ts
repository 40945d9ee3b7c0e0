import { readFileSync, statSync } from "node:fs";
import { checkReceipt, type RecordedJob, type ReceiptVerdict } from "@proofgrid/por/receipts/check-receipt";

/** A job's JSON with its output (a 384-float vector per text, OCR lines) stays far below this. */
export const MAX_RECEIPT_FILE_BYTES = 64 * 1024 * 1024;

export interface VerifyReceiptOptions {
  /** A job as GET /api/v1/jobs/<id> returns it, a bare receipt, or `-` for standard input. Omit to fetch the job (`--url`, `--api-key`). */
  file?: string;
  /** The job the receipt must be for; default: the id in the job JSON. */
  jobId?: string;
  /** The job's input as submitted (JSON), to check the signed inputHash. */
  inputFile?: string;
  /** The output (JSON), when `file` is a bare receipt. */
  outputFile?: string;
  workerKey?: string;
  platformKey?: string;
  url?: string;
  apiKey?: string;
}

export class VerifyReceiptUsageError extends Error {}

/**
 * `proofgrid-worker verify-receipt`: reads the job (a file, standard input, or the platform's
 * API), fetches public keys if not given, and checks what the receipt vouches for
 * (packages/por receipts/check-receipt.ts). Anything that cannot be read is a usage error, never a pass.
 */
export async function verifyReceiptCommand(opts: VerifyReceiptOptions): Promise<ReceiptVerdict> {
  let doc: Record<string, unknown>;
  if (opts.file !== undefined) {
    doc = asObject(readJson(opts.file), opts.file);
  } else if (opts.url && opts.jobId) {
    if (!opts.apiKey)
      throw new VerifyReceiptUsageError("fetching a job needs an API key with jobs:read: pass --api-key or set PROOFGRID_API_KEY");
    doc = asObject(await getJson(new URL(`/api/v1/jobs/${encodeURIComponent(opts.jobId)}`, opts.url), opts.apiKey), "the job");
  } else {
    throw new VerifyReceiptUsageError(
      "pass the job or receipt file (or - for standard input), or --job <id> with --url and --api-key to fetch it",
    );
  }

  // A job as the API returns it carries `receipt`; anything else is taken as a bare receipt.
  const isJob = typeof doc.receipt === "object" && doc.receipt !== null;
  const receipt = (isJob ? doc.receipt : doc) as Record<string, unknown>;
  const job: RecordedJob | undefined = isJob ? (doc as RecordedJob) : undefined;
  const fileJobId = isJob && typeof doc.id === "string" ? doc.id : undefined;
  // --job wins over the file's id: a file that names another job then fails the job check.
  const expectedJobId = opts.jobId ?? fileJobId;

  let output: unknown;
  if (opts.outputFile !== undefined) output = readJson(opts.outputFile);
  else if (isJob && "output" in doc && doc.output !== null) output = doc.output;

  let input: unknown;
  if (opts.inputFile !== undefined) {
    const raw = readJson(opts.inputFile);
    // Accept the submit request body ({model, input}) as well as the bare input.
    const o = raw as Record<string, unknown> | null;
    input = o && typeof o === "object" && typeof o.model === "string" && "input" in o && Object.keys(o).length === 2 ? o.input : raw;
  }

  let { workerKey, platformKey } = opts;
  if ((!workerKey || !platformKey) && opts.url) {
    const nodeId = typeof receipt.nodeId === "string" ? receipt.nodeId : "";
    const keys = (await getJson(new URL(`/api/v1/public-keys?node=${encodeURIComponent(nodeId)}`, opts.url))) as {
      platform?: string;
      node?: { publicKey?: string };
    };
    workerKey ??= keys.node?.publicKey;
    platformKey ??= keys.platform;
  }
  if (!workerKey) throw new VerifyReceiptUsageError("no worker public key: pass --worker-key, or --url to fetch it");

  return checkReceipt({ receipt, expectedJobId, job, output, input, workerKey, platformKey });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    if (file === "-") {
      text = readFileSync(0, "utf8");
    } else {
      const size = statSync(file).size;
      if (size > MAX_RECEIPT_FILE_BYTES) throw new VerifyReceiptUsageError(`${file} is ${size} bytes; at most ${MAX_RECEIPT_FILE_BYTES}`);
      text = readFileSync(file, "utf8");
    }
  } catch (err) {
    if (err instanceof VerifyReceiptUsageError) throw err;
    throw new VerifyReceiptUsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (text.length > MAX_RECEIPT_FILE_BYTES) throw new VerifyReceiptUsageError(`${file} is larger than ${MAX_RECEIPT_FILE_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new VerifyReceiptUsageError(`${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new VerifyReceiptUsageError(`${what} is not a JSON object (a job or a receipt)`);
  return v as Record<string, unknown>;
}

async function getJson(url: URL, apiKey?: string): Promise<unknown> {
  const res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new VerifyReceiptUsageError(`GET ${url.pathname}: ${res.status} ${text.slice(0, 300)}`);
  if (text.length > MAX_RECEIPT_FILE_BYTES)
    throw new VerifyReceiptUsageError(`GET ${url.pathname}: answer larger than ${MAX_RECEIPT_FILE_BYTES} bytes`);
  return JSON.parse(text);
}
