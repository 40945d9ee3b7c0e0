import { EventEmitter } from "node:events";
import type { JobViewRow } from "@proofgrid/db/jobs";
import { inTransaction } from "@proofgrid/db/sql-client";
import pg from "pg";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";

/** Payload of the `proofgrid_jobs` NOTIFY sent by the jobs trigger (see migrations). */
export interface JobEvent {
  id: string;
  state: string;
  node_id: string | null;
  /** Only on a completion delivered in its own process (never in a NOTIFY): the job as its
   * transaction committed it, for the waits of its organisation to answer without a read. */
  view?: FinishedJobView;
}

/** A finished job's view, and the organisation whose it is (a wait answers with it only for that organisation). */
export interface FinishedJobView {
  orgId: string;
  row: JobViewRow;
}

const CHANNEL = "proofgrid_jobs";
/**
 * A local event's NOTIFY is expected back within this (it is sent at the same commit). Short:
 * when the NOTIFY is read before the committing call resumes, the echo awaited never comes,
 * and until it is forgotten it would swallow one later NOTIFY of the same job, state and
 * node (that wait then ends by its polling fallback).
 */
const LOCAL_ECHO_MS = 2_000;
/** Bound on the echoes awaited (a process's commits in LOCAL_ECHO_MS, at most). */
const MAX_LOCAL_ECHOES = 50_000;

const echoKey = (e: JobEvent) => `${e.id}|${e.state}|${e.node_id ?? ""}`;
const MAX_RECONNECT_DELAY_MS = 10_000;
/** Bound on connecting (a server that accepts the TCP connection and then says nothing). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One LISTEN connection per process fans NOTIFYs out to long-polls in memory, so a
 * thousand waiting workers cost one Postgres connection. If the connection drops, waiters
 * still wake through their polling fallback while it reconnects with backoff.
 */
/** A long-poll waiting for an event. */
interface Waiter {
  filter: (e: JobEvent) => boolean;
  done: (woken: boolean, e?: JobEvent) => void;
}

/** What a wait is for: events about one job or one node that pass `filter`, until `signal` aborts. */
interface WaitTarget {
  on: { jobId: string } | { nodeId: string };
  filter: (e: JobEvent) => boolean;
  signal?: AbortSignal;
}

/** A wait registered before the caller's read (JobEventHub.arm). */
export interface ArmedWait {
  /** Whether an event came (since the arm), waiting up to `timeoutMs` for one. Call once. */
  wait(timeoutMs: number): Promise<boolean>;
  /** Stops listening; a pending wait returns false. */
  cancel(): void;
  /** The event that woke it, once it has. */
  readonly event: JobEvent | undefined;
}

class JobEventHub {
  /** Subscribers to every event (the dispatcher). */
  private readonly emitter = new EventEmitter();
  // Bound: one entry per open long-poll (each removes itself when it ends, woken, timed out
  // or aborted), so their number is that of concurrent requests, which the server bounds.
  private readonly byJob = new Map<string, Set<Waiter>>();
  private readonly byNode = new Map<string, Set<Waiter>>();
  private client: pg.Client | undefined;
  /** Events that arrived one way and not yet the other, by event: n > 0, delivered locally
   * and their NOTIFY awaited; n < 0, NOTIFYs whose local delivery is awaited (pair). */
  private readonly echoes = new Map<string, { n: number; at: number }>();
  private starting: Promise<void> | undefined;
  private reconnectDelayMs = 250;
  private closed = false;

  constructor() {
    // Subscribers are few (the dispatcher); long-polls wait in byJob and byNode instead.
    this.emitter.setMaxListeners(100);
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
        // The trigger's three fields only: a job's view is never taken from a NOTIFY.
        const e = JSON.parse(msg.payload) as JobEvent;
        this.notified({ id: e.id, state: e.state, node_id: e.node_id });
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
   * Resolves when an event about `on` (a job, or a node) matching `filter` arrives, or after
   * `timeoutMs` (the polling fallback), or when `signal` aborts. Returns whether an event
   * woke it. Waiters are kept by the job or node they wait on, so an event is checked only
   * against its own job's and its own node's waiters, not against every long-poll open.
   */
  async wait(opts: WaitTarget & { timeoutMs: number }): Promise<boolean> {
    await this.ensureStarted();
    return this.arm(opts).wait(opts.timeoutMs);
  }

  /**
   * Starts listening for an event about `on` matching `filter` now, before the caller reads
   * the database, and waits for it later (`wait`): an event that comes between the read and
   * the wait is kept, not lost. (Waiting only after a read that found nothing, a lease missed
   * an assignment made in between and slept out the polling fallback, 1 s.) `cancel` when
   * done; a wait already woken returns at once.
   */
  arm(opts: WaitTarget): ArmedWait {
    void this.ensureStarted();
    const [index, key] = "jobId" in opts.on ? [this.byJob, opts.on.jobId] : [this.byNode, opts.on.nodeId];
    let settled: boolean | undefined;
    let event: JobEvent | undefined;
    let resolveWait: ((woken: boolean) => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = (woken: boolean, e?: JobEvent) => {
      if (settled !== undefined) return;
      settled = woken;
      event = e;
      clearTimeout(timer);
      const set = index.get(key);
      set?.delete(waiter);
      if (set?.size === 0) index.delete(key);
      opts.signal?.removeEventListener("abort", onAbort);
      resolveWait?.(woken);
    };
    const waiter: Waiter = { filter: opts.filter, done: settle };
    const onAbort = () => settle(false);
    const set = index.get(key) ?? new Set<Waiter>();
    index.set(key, set);
    set.add(waiter);
    if (opts.signal?.aborted) settle(false);
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
    return {
      wait: (timeoutMs) => {
        if (settled !== undefined) return Promise.resolve(settled);
        return new Promise((resolve) => {
          resolveWait = resolve;
          timer = setTimeout(() => settle(false), Math.max(0, timeoutMs));
        });
      },
      cancel: () => settle(false),
      get event() {
        return event;
      },
    };
  }

  /**
   * Delivers an event this process has just committed (a submit, the dispatcher's offers, a
   * completion) at once, without waiting for its NOTIFY to come back from Postgres; the
   * NOTIFY that then comes is not delivered a second time (a lease long-poll woken twice
   * reads the database twice). Other processes hear it by NOTIFY as before. Nothing with
   * JOB_NOTIFY=0.
   */
  deliverLocal(e: JobEvent): void {
    // Without events (JOB_NOTIFY=0) every wait is woken by its polling alone. Inside a
    // transaction nothing is committed yet: its NOTIFY, sent at the commit, wakes the waiters.
    if (!this.enabled || inTransaction()) return;
    // Its NOTIFY may have been read first (the LISTEN socket's data handled before the
    // committing query's answer): then it was delivered, and this is the twin.
    if (this.pair(echoKey(e), 1)) this.deliver(e);
  }

  /** A NOTIFY: delivered unless it is the echo of an event delivered locally. */
  private notified(e: JobEvent): void {
    if (this.pair(echoKey(e), -1)) this.deliver(e);
  }

  /**
   * Pairs an event's two arrivals in this process, its local delivery (`side` 1) and its
   * NOTIFY (-1), whichever comes first: the first is delivered (true), the second only
   * matched (false). Unmatched arrivals are forgotten after LOCAL_ECHO_MS (an echo that
   * never came: the LISTEN connection was down; a NOTIFY of another process's event, which
   * has no local twin).
   *
   * The limit of matching by key: a NOTIFY with no local twin (another process's, or a commit
   * of this process's made inside a transaction) would take for its twin a later local event
   * of the same job, state and node within LOCAL_ECHO_MS, and that event's waiters here would
   * wake by their polling fallback instead (1 s). The local events are a submit's `queued`
   * (a new job), the dispatcher's `assigned` (one placer; an offer lapses after 10 s) and a
   * completion's `succeeded` (once a job), so no such pair is expected.
   */
  private pair(key: string, side: 1 | -1): boolean {
    const now = Date.now();
    for (const [k, echo] of this.echoes) {
      if (now - echo.at < LOCAL_ECHO_MS && this.echoes.size < MAX_LOCAL_ECHOES) break;
      this.echoes.delete(k);
    }
    const echo = this.echoes.get(key);
    if (echo && Math.sign(echo.n) === -side) {
      echo.n += side;
      if (echo.n === 0) this.echoes.delete(key);
      return false;
    }
    if (echo) echo.n += side;
    else this.echoes.set(key, { n: side, at: now });
    return true;
  }

  /** Wakes the waiters of the event's job and of its node whose filter it passes. */
  deliver(e: JobEvent): void {
    for (const w of [...(this.byJob.get(e.id) ?? [])]) if (w.filter(e)) w.done(true, e);
    if (e.node_id) for (const w of [...(this.byNode.get(e.node_id) ?? [])]) if (w.filter(e)) w.done(true, e);
    // Subscribers (the dispatcher) get the trigger's three fields: a view is for its waits only.
    this.emitter.emit("job", e.view ? { id: e.id, state: e.state, node_id: e.node_id } : e);
  }

  /** Whether a wait in this process is open on the job (a completion then hands it the job). */
  waitsOn(jobId: string): boolean {
    return this.enabled && this.byJob.has(jobId);
  }

  /** Open waits, by what they wait on (what the tests check the hub forgets). */
  get waiting(): { jobs: number; nodes: number } {
    let jobs = 0;
    let nodes = 0;
    for (const set of this.byJob.values()) jobs += set.size;
    for (const set of this.byNode.values()) nodes += set.size;
    return { jobs, nodes };
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
