import { EventEmitter } from "node:events";
import pg from "pg";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";

/** Payload of the `proofgrid_jobs` NOTIFY sent by the jobs trigger (see migrations). */
export interface JobEvent {
  id: string;
  state: string;
  node_id: string | null;
}

const CHANNEL = "proofgrid_jobs";
const MAX_RECONNECT_DELAY_MS = 10_000;
/** Bound on connecting (a server that accepts the TCP connection and then says nothing). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One LISTEN connection per process fans NOTIFYs out to long-polls in memory, so a
 * thousand waiting workers cost one Postgres connection. If the connection drops, waiters
 * still wake through their polling fallback while it reconnects with backoff.
 */
class JobEventHub {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private starting: Promise<void> | undefined;
  private reconnectDelayMs = 250;
  private closed = false;

  constructor() {
    // Each long-poll adds one listener; the bound is the number of concurrent requests.
    this.emitter.setMaxListeners(10_000);
  }

  get enabled(): boolean {
    return getEnv().JOB_NOTIFY === "1";
  }

  ensureStarted(): Promise<void> {
    if (!this.enabled || this.closed) return Promise.resolve();
    this.starting ??= this.connect();
    return this.starting;
  }

  /**
   * One LISTEN connection at a time. Each client is dropped exactly once, whichever comes
   * first of a failed connect, a failed LISTEN, an 'error' or an 'end'. Before, a LISTEN
   * cut by a restart both rejected and emitted 'error', each scheduled a reconnect, and
   * two clients listened from then on, one referenced by nothing: the coordinator's log of
   * one restart showed two "connection error" lines for one outage.
   */
  private async connect(): Promise<void> {
    // Named so that an operator (and the fault tests) can see in pg_stat_activity which
    // process listens: proofgrid-web-events, proofgrid-coordinator-events.
    const client = new pg.Client({
      connectionString: getEnv().DATABASE_URL,
      application_name: `proofgrid-${getEnv().PROOFGRID_SERVICE}-events`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    let dropped = false;
    const drop = (err: unknown, what: string) => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = undefined;
      logger.warn({ err }, `job events: ${what}; polling only until reconnected`);
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on("error", (err) => drop(err, "connection error"));
    client.on("end", () => drop(undefined, "connection closed"));
    client.on("notification", (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        this.emitter.emit("job", JSON.parse(msg.payload) as JobEvent);
      } catch {
        // A malformed payload can only come from a manual NOTIFY; ignore it.
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      drop(err, "LISTEN failed");
      return;
    }
    if (dropped) return;
    if (this.closed) {
      dropped = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelayMs = 250;
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
    setTimeout(() => {
      this.starting = undefined;
      void this.ensureStarted();
    }, delay).unref();
  }

  /**
   * Resolves when an event matching `filter` arrives, or after `timeoutMs` (the polling
   * fallback), or when `signal` aborts. Returns whether an event woke it.
   */
  async wait(opts: { filter: (e: JobEvent) => boolean; timeoutMs: number; signal?: AbortSignal }): Promise<boolean> {
    await this.ensureStarted();
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.emitter.off("job", onEvent);
        opts.signal?.removeEventListener("abort", onAbort);
        resolve(woken);
      };
      const onEvent = (e: JobEvent) => {
        if (opts.filter(e)) done(true);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, opts.timeoutMs));
      this.emitter.on("job", onEvent);
      if (opts.signal?.aborted) done(false);
      else opts.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Calls `fn` for every event until the returned function is called. */
  async subscribe(fn: (e: JobEvent) => void): Promise<() => void> {
    await this.ensureStarted();
    this.emitter.on("job", fn);
    return () => this.emitter.off("job", fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}

const globalForHub = globalThis as unknown as { proofgridJobEvents?: JobEventHub };
export const jobEvents: JobEventHub = globalForHub.proofgridJobEvents ?? new JobEventHub();
globalForHub.proofgridJobEvents = jobEvents;
