// autocannon 8 ships no types (and @types/autocannon is not a dependency): the part
// bench/lib/arrival-load.ts uses, from autocannon's README and lib/run.js.
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  interface Request extends RequestParams {
    setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams | null | undefined;
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers?: Record<string, string>) => void;
  }

  interface Options extends RequestParams {
    url: string;
    connections?: number;
    overallRate?: number;
    connectionRate?: number;
    duration?: number;
    amount?: number;
    /** Seconds. */
    timeout?: number;
    pipelining?: number;
    ignoreCoordinatedOmission?: boolean;
    requests?: Request[];
  }

  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
    requests: { total: number; average: number; sent: number };
    latency: { p50: number; p99: number; average: number; max: number };
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  interface TrackOptions {
    outputStream?: NodeJS.WritableStream;
    renderProgressBar?: boolean;
    renderResultsTable?: boolean;
    renderLatencyTable?: boolean;
  }

  interface Autocannon {
    (opts: Options): Instance;
    track(instance: Instance, opts?: TrackOptions): EventEmitter;
  }

  const autocannon: Autocannon;
  export default autocannon;
}
