import { Worker } from "node:worker_threads";
import type { CustomRun, RunRequest, RunResponse, SessionSettings } from "./thread-messages.ts";

interface Slot {
  worker: Worker;
  busy: boolean;
  pending?: { id: number; resolve: (r: RunResponse) => void; reject: (e: Error) => void };
}

export interface PoolLimits {
  /** A run still going after this long is stopped: its thread is terminated and replaced. */
  timeoutMs?: number;
  /** The JS heap a thread may grow to (pre- and post-processing); past it the thread dies, not the process. */
  heapMb?: number;
  /** The thread's entry module (a test's poison thread); default the inference thread. */
  entry?: URL;
}

/**
 * A fixed pool of inference threads, one job per thread at a time. A poison input cannot
 * take the daemon down: a thread that crashes, runs past `timeoutMs` or outgrows `heapMb`
 * fails its job with the reason (the daemon reports it, the platform re-queues it or, after
 * its attempts, fails it) and is replaced.
 */
export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly waiters: ((slot: Slot) => void)[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly settings: SessionSettings,
    private readonly limits: PoolLimits = {},
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const entry = this.limits.entry ?? new URL("./thread-entry.mjs", import.meta.url);
    const worker = new Worker(entry, {
      workerData: this.settings,
      ...(this.limits.heapMb ? { resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb } } : {}),
    });
    const slot: Slot = { worker, busy: false };
    worker.on("message", (res: RunResponse) => {
      const p = slot.pending;
      if (!p || p.id !== res.id) return;
      slot.pending = undefined;
      p.resolve(res);
      this.release(slot);
    });
    const onDeath = (err: Error) => {
      const p = slot.pending;
      slot.pending = undefined;
      const outOfMemory = (err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      p?.reject(outOfMemory ? new Error(`inference outgrew its ${this.limits.heapMb} MB heap: stopped`) : err);
      if (this.closed) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) {
        const fresh = this.spawn();
        this.slots[i] = fresh;
        this.release(fresh);
      }
    };
    worker.on("error", onDeath);
    worker.on("exit", (code) => {
      if (!this.closed) onDeath(new Error(`inference thread exited with code ${code}`));
    });
    return slot;
  }

  private release(slot: Slot): void {
    slot.busy = false;
    const w = this.waiters.shift();
    if (w) {
      slot.busy = true;
      w(slot);
    }
  }

  private acquire(): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs a catalog model by its slug, or an uploaded one (`custom`) from its cached file. */
  async run(slug: string, input: unknown, custom?: CustomRun): Promise<RunResponse> {
    if (this.closed) throw new Error("inference pool is closed");
    const slot = await this.acquire();
    const id = this.nextId++;
    return new Promise<RunResponse>((resolve, reject) => {
      const timeoutMs = this.limits.timeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (slot.pending?.id !== id) return;
              slot.pending = undefined;
              reject(new Error(`inference ran past its ${Math.round(timeoutMs / 1000)} s limit: stopped`));
              // Its exit replaces the thread (onDeath; nothing is pending on it any more).
              void slot.worker.terminate();
            }, timeoutMs);
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          f(v);
        };
      slot.pending = { id, resolve: settle(resolve), reject: settle(reject) };
      const req: RunRequest = custom ? { id, slug, input, custom } : { id, slug, input };
      slot.worker.postMessage(req);
    });
  }

  /** Loads the models in every thread ahead of the first job (first-job latency). */
  async warm(slugs: readonly string[], inputs: Record<string, unknown>): Promise<void> {
    for (const slug of slugs) {
      const input = inputs[slug];
      if (input !== undefined) await Promise.all(this.slots.map(() => this.run(slug, input)));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
