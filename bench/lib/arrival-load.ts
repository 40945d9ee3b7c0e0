/**
 * Load at a fixed ARRIVAL rate (k6's constant-arrival-rate), for `bench/load.ts`.
 *
 * Two engines send the same requests:
 *  - `open` (default): request i of a phase leaves at phaseStart + i / rate, whatever happened
 *    to the ones before it. Each is its own `fetch` on Node's default undici agent, which has no
 *    per-origin connection cap: a slow answer holds one connection and the next arrival takes a
 *    free pooled one or opens another, so the offered rate does not bend to the latency. Latency
 *    is measured from the request's planned departure (the driver's own lag counts against the
 *    server, never in its favour: no coordinated omission). Bounded: at most `maxInFlight`
 *    requests open at once; an arrival past that is counted as `dropped`, not sent.
 *  - `autocannon`: autocannon 8 with `overallRate`. It sets connections = overallRate (run.js
 *    caps them) and lets each connection send at most one request a second, waiting for the
 *    answer before the next: a closed loop, so any answer slower than 1 s lowers the achieved
 *    rate, and its coordinated-omission correction assumes an interval of ceil(1 / rate) = 1 ms
 *    (it fills the histogram with made-up values), so it is switched off and the latencies are
 *    taken per response from its `response` event. Kept to compare with the tool the issue
 *    named; the achieved rate it reports says whether its loop held.
 */
import autocannon from "autocannon";

export interface Phase {
  name: string;
  /** Requests a second (open engine: any positive number; autocannon: a whole number). */
  rate: number;
  seconds: number;
}

export interface LoadTarget {
  /** Base URL, e.g. http://127.0.0.1:3000 (loopback only: checked by the caller). */
  url: string;
  path: string;
  apiKey: string;
  /** The JSON body of request `i` (a different text each time: no cache or idempotency shortcut). */
  body: (i: number) => unknown;
  /** The job a 2xx answer names (from its body or headers), if any. */
  jobIdOf: (status: number, body: string, headers: Record<string, string>) => string | undefined;
  timeoutMs: number;
}

export interface RequestRecord {
  phase: string;
  i: number;
  /** ms since the load started, planned (open) or actual (autocannon) departure. */
  plannedMs: number;
  /** How late the request left against its plan, ms (open engine). */
  lagMs: number;
  status?: number;
  latencyMs?: number;
  jobId?: string;
  /** unanswered: autocannon engine only, no answer by the end of its run (see runAutocannon). */
  error?: "timeout" | "network" | "dropped" | "unanswered";
  detail?: string;
}

export interface PhaseResult {
  phase: Phase;
  requests: RequestRecord[];
  /** ms since the load started when the phase began and when its last answer came. */
  startMs: number;
  endMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Runs the phases back to back with the open-loop scheduler. */
export async function runOpenLoop(
  target: LoadTarget,
  phases: readonly Phase[],
  opts: { maxInFlight: number; onTick?: (msg: string) => void },
): Promise<PhaseResult[]> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const results: PhaseResult[] = [];
  const pending: Promise<void>[] = [];
  let inFlight = 0;
  let next = 0;
  let phaseStart = 0;
  const send = async (rec: RequestRecord): Promise<void> => {
    inFlight++;
    try {
      const res = await fetch(`${target.url}${target.path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` },
        body: JSON.stringify(target.body(rec.i)),
        signal: AbortSignal.timeout(target.timeoutMs),
      });
      const text = await res.text();
      rec.status = res.status;
      rec.latencyMs = now() - rec.plannedMs;
      if (res.ok) rec.jobId = target.jobIdOf(res.status, text, Object.fromEntries(res.headers));
      else rec.detail = text.slice(0, 300);
    } catch (err) {
      const e = err as { name?: string; message?: string };
      rec.error = e.name === "TimeoutError" || e.name === "AbortError" ? "timeout" : "network";
      rec.detail = String(e.message ?? err).slice(0, 300);
    } finally {
      inFlight--;
    }
  };
  let lastTick = 0;
  for (const phase of phases) {
    const requests: RequestRecord[] = [];
    const count = Math.round(phase.rate * phase.seconds);
    const intervalMs = 1000 / phase.rate;
    for (let k = 0; k < count; k++) {
      const plannedMs = phaseStart + k * intervalMs;
      const wait = plannedMs - now();
      if (wait > 0) await sleep(wait);
      const rec: RequestRecord = { phase: phase.name, i: next++, plannedMs, lagMs: Math.max(0, now() - plannedMs) };
      requests.push(rec);
      if (inFlight >= opts.maxInFlight) rec.error = "dropped";
      else pending.push(send(rec));
      if (opts.onTick && now() - lastTick >= 5_000) {
        lastTick = now();
        const done = requests.filter((r) => r.status !== undefined || r.error).length;
        opts.onTick(`${phase.name}: ${requests.length}/${count} sent at ${phase.rate}/s, ${done} answered, ${inFlight} in flight`);
      }
    }
    results.push({ phase, requests, startMs: phaseStart, endMs: Number.NaN });
    phaseStart += phase.seconds * 1000;
    const wait = phaseStart - now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(pending);
  for (const r of results)
    r.endMs = Math.max(r.startMs + r.phase.seconds * 1000, ...r.requests.map((q) => q.plannedMs + (q.latencyMs ?? 0)));
  return results;
}

/** Runs the phases back to back, one autocannon run each with `overallRate`. */
export async function runAutocannon(target: LoadTarget, phases: readonly Phase[]): Promise<PhaseResult[]> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const results: PhaseResult[] = [];
  let next = 0;
  for (const phase of phases) {
    if (!Number.isInteger(phase.rate)) throw new Error(`--engine autocannon needs a whole rate, got ${phase.rate}`);
    const startMs = now();
    const requests: RequestRecord[] = [];
    // A connection has one request out at a time (no pipelining): its context holds it. The
    // request is built (setupRequest) just before it is written, so its time is the departure.
    type Ctx = { rec?: RequestRecord };
    const instance = autocannon({
      url: `${target.url}${target.path}`,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` },
      connections: phase.rate,
      overallRate: phase.rate,
      duration: phase.seconds,
      timeout: Math.ceil(target.timeoutMs / 1000),
      ignoreCoordinatedOmission: true,
      requests: [
        {
          setupRequest: (req, context) => {
            const rec: RequestRecord = { phase: phase.name, i: next++, plannedMs: now(), lagMs: 0 };
            requests.push(rec);
            (context as Ctx).rec = rec;
            return { ...req, body: JSON.stringify(target.body(rec.i)) };
          },
          onResponse: (status, body, context, headers) => {
            const rec = (context as Ctx).rec;
            if (!rec) return;
            rec.status = status;
            rec.latencyMs = now() - rec.plannedMs;
            if (status >= 200 && status < 300) rec.jobId = target.jobIdOf(status, body, (headers ?? {}) as Record<string, string>);
            else rec.detail = body.slice(0, 300);
          },
        },
      ],
    });
    autocannon.track(instance, { outputStream: process.stderr, renderResultsTable: false, renderLatencyTable: false });
    await instance;
    // No answer: autocannon closes its connections when the duration ends, with requests still
    // out (their jobs run and bill all the same), and does not say which requests timed out.
    for (const r of requests) if (r.status === undefined) r.error = "unanswered";
    results.push({ phase, requests, startMs, endMs: now() });
  }
  return results;
}
