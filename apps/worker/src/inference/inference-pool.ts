import { Worker } from "node:worker_threads";
import type { RunRequest, RunResponse, SessionSettings } from "./thread-messages.ts";

interface Slot {
  worker: Worker;
  busy: boolean;
  pending?: { id: number; resolve: (r: RunResponse) => void; reject: (e: Error) => void };
}

/**
 * A fixed pool of inference threads, one job per thread at a time. A thread that dies
 * fails its job (the daemon reports it, the platform re-queues it) and is replaced.
 */
export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly waiters: ((slot: Slot) => void)[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly settings: SessionSettings,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./thread-entry.mjs", import.meta.url), { workerData: this.settings });
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
      p?.reject(err);
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

  async run(slug: string, input: unknown): Promise<RunResponse> {
    if (this.closed) throw new Error("inference pool is closed");
    const slot = await this.acquire();
    const id = this.nextId++;
    return new Promise<RunResponse>((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      const req: RunRequest = { id, slug, input };
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
