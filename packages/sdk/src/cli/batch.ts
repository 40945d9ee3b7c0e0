// `proofgrid batch`: every input of a folder or .jsonl as one job, `concurrency` at a time,
// each result appended to a JSONL file as it arrives. Resumable at any point (Ctrl-C, a
// kill, a crash): a state file beside the results records each input's idempotency key
// before its submit is sent and its job id as soon as the platform answers, so a restarted
// batch
//   - skips an input that has a result line,
//   - waits on the job of an input that has a job id (no second submit),
//   - resubmits an input that has only a key with that same key, which the platform answers
//     with the job the first submit made, if it made one (idempotency, 24 h),
// and no input is ever run twice. Both files are written with appends of whole lines, in
// the order above, so a process killed between two writes leaves them consistent.
import { appendFileSync, existsSync, openSync, readFileSync, closeSync, ftruncateSync } from "node:fs";
import pLimit from "p-limit";
import type { Job, Proofgrid } from "../client.ts";
import { ConnectionError, InternalServerError, ProofgridError, RateLimitError, WaitTimeoutError } from "../errors.ts";
import { CliUsageError } from "./config.ts";
import type { BatchItem } from "./inputs.ts";

export const MAX_CONCURRENCY = 256;
const STATE_VERSION = 1;

/** One line of the results file. */
export interface ResultLine {
  name: string;
  jobId: string | null;
  /** The job's final state, or `rejected` when the platform refused the submit. */
  state: string;
  output?: unknown;
  error?: { status: number | null; code: string | null; message: string };
}

interface StateHeader {
  v: number;
  model: string;
}
interface StateEntry {
  name: string;
  key: string;
  jobId?: string;
}

export interface BatchOptions {
  client: Proofgrid;
  model: string;
  items: BatchItem[];
  /** The results file (JSONL); the state file is `<out>.state`. */
  out: string;
  concurrency: number;
  /** How long to wait for one job before leaving it for the next run. */
  waitTimeoutMs?: number;
  onProgress?: (p: BatchProgress) => void;
}

export interface BatchProgress {
  total: number;
  /** Inputs with a result line (this run's and earlier runs'). */
  done: number;
  succeeded: number;
  failed: number;
  /** Inputs left for a later run after an error that may pass (no answer, 5xx, 429, a wait that ran out). */
  deferred: number;
}

export interface BatchSummary extends BatchProgress {
  /** Inputs that already had a result when this run started. */
  skipped: number;
  /** Submits this run sent with a key no earlier run had recorded (new jobs). */
  submitted: number;
  /** Jobs of earlier runs this run waited on instead of submitting again. */
  resumed: number;
}

export function statePathFor(out: string): string {
  return `${out}.state`;
}

/** The whole lines of a JSONL file; a torn last line (a kill in mid-write) is cut off the file. */
function readLines(file: string, repair: boolean): unknown[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const end = text.lastIndexOf("\n") + 1;
  if (end < text.length && repair) {
    const fd = openSync(file, "r+");
    try {
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
    } finally {
      closeSync(fd);
    }
  }
  const values: unknown[] = [];
  for (const line of text.slice(0, end).split("\n")) {
    if (line.trim() === "") continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      throw new CliUsageError(`${file} has a line that is not JSON: not a file this command wrote`);
    }
  }
  return values;
}

function appendLine(file: string, value: unknown): void {
  appendFileSync(file, `${JSON.stringify(value)}\n`);
}

/** Errors worth another run rather than a result line: nothing was decided about the input. */
function isTransient(err: unknown): boolean {
  return (
    err instanceof ConnectionError || err instanceof InternalServerError || err instanceof RateLimitError || err instanceof WaitTimeoutError
  );
}

export async function runBatch(opts: BatchOptions): Promise<BatchSummary> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > MAX_CONCURRENCY)
    throw new CliUsageError(`--concurrency must be 1–${MAX_CONCURRENCY}`);
  const statePath = statePathFor(opts.out);
  const names = new Set(opts.items.map((i) => i.name));

  const results = readLines(opts.out, true) as ResultLine[];
  const done = new Set<string>();
  let succeeded = 0;
  let failed = 0;
  for (const r of results) {
    if (typeof r?.name !== "string" || !names.has(r.name) || done.has(r.name)) continue;
    done.add(r.name);
    if (r.state === "succeeded") succeeded++;
    else failed++;
  }

  const stateLines = readLines(statePath, true);
  const header = stateLines[0] as StateHeader | undefined;
  if (header === undefined) appendLine(statePath, { v: STATE_VERSION, model: opts.model } satisfies StateHeader);
  else if (header.v !== STATE_VERSION || header.model !== opts.model)
    throw new CliUsageError(`${statePath} belongs to a batch of model ${String(header.model)}: use another --out for model ${opts.model}`);
  const state = new Map<string, StateEntry>();
  for (const e of stateLines.slice(1) as StateEntry[]) {
    if (typeof e?.name !== "string" || typeof e.key !== "string") continue;
    const prev = state.get(e.name);
    state.set(e.name, { name: e.name, key: e.key, jobId: typeof e.jobId === "string" ? e.jobId : prev?.jobId });
  }

  const skipped = done.size;
  let submitted = 0;
  let resumed = 0;
  let deferred = 0;
  const progress = () => opts.onProgress?.({ total: opts.items.length, done: done.size, succeeded, failed, deferred });
  progress();

  const record = (line: ResultLine) => {
    appendLine(opts.out, line);
    done.add(line.name);
    if (line.state === "succeeded") succeeded++;
    else failed++;
    progress();
  };

  const one = async (item: BatchItem) => {
    let entry = state.get(item.name);
    try {
      if (!entry) {
        entry = { name: item.name, key: opts.client.newIdempotencyKey() };
        // The key is on disk before the submit leaves: a run killed in mid-submit retries with it.
        appendLine(statePath, { name: entry.name, key: entry.key });
        state.set(item.name, entry);
        submitted++;
      }
      let jobId = entry.jobId;
      if (jobId === undefined) {
        const job = await opts.client.jobs.submit({ model: opts.model, input: item.load() }, { idempotencyKey: entry.key });
        jobId = job.id;
        entry.jobId = jobId;
        appendLine(statePath, { name: entry.name, key: entry.key, jobId });
      } else {
        resumed++;
      }
      const job: Job = await opts.client.jobs.wait(jobId, { waitTimeoutMs: opts.waitTimeoutMs });
      record(
        job.state === "succeeded"
          ? { name: item.name, jobId, state: job.state, output: job.output ?? null }
          : { name: item.name, jobId, state: job.state, error: { status: null, code: null, message: job.error ?? job.state } },
      );
    } catch (err) {
      if (isTransient(err)) {
        deferred++;
        progress();
        return;
      }
      if (err instanceof CliUsageError || err instanceof ProofgridError) {
        const e = err instanceof ProofgridError ? err : undefined;
        record({
          name: item.name,
          jobId: entry?.jobId ?? null,
          state: entry?.jobId ? "error" : "rejected",
          error: { status: e?.status ?? null, code: e?.code ?? null, message: err.message },
        });
        return;
      }
      throw err;
    }
  };

  const limit = pLimit(opts.concurrency);
  await Promise.all(opts.items.filter((i) => !done.has(i.name)).map((item) => limit(() => one(item))));
  return { total: opts.items.length, done: done.size, succeeded, failed, deferred, skipped, submitted, resumed };
}
