import pg from "pg";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";
import { sleep } from "../sleep.ts";

/** Bound on connecting a leader's lock connection (a server that accepts nothing). */
const LOCK_CONNECT_TIMEOUT_MS = 10_000;
/** How often a leader checks that its lock connection still answers. */
const LEADER_CHECK_MS = 2_000;

/**
 * Leads while this process holds a session advisory lock (`lockKey`) on a connection of its
 * own: `lead` runs with a signal that aborts when `signal` does or the lock's connection is
 * lost (then every other candidate may take it). Candidates that find it held retry every
 * LEADER_RETRY_MS. Returns when `signal` aborts.
 */
export async function holdLeadership(opts: {
  lockKey: number;
  /** Who leads (the lock connection's application_name, and the logs). */
  name: string;
  signal: AbortSignal;
  lead: (signal: AbortSignal) => Promise<unknown>;
}): Promise<void> {
  const env = getEnv();
  while (!opts.signal.aborted) {
    const lockClient = new pg.Client({
      connectionString: env.DATABASE_URL,
      application_name: `proofgrid-${opts.name}-leader`,
      connectionTimeoutMillis: LOCK_CONNECT_TIMEOUT_MS,
      query_timeout: LOCK_CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    // From the start: an 'error' on a client nobody listens to would crash the process.
    const lost = new AbortController();
    lockClient.on("error", (err) => {
      if (!lost.signal.aborted) logger.warn({ err }, `${opts.name}: leader connection lost`);
      lost.abort();
    });
    lockClient.on("end", () => lost.abort());
    try {
      await lockClient.connect();
      const { rows } = await lockClient.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [opts.lockKey]);
      if (!rows[0]?.ok) {
        await lockClient.end();
        await sleep(env.LEADER_RETRY_MS, opts.signal);
        continue;
      }
      const both = AbortSignal.any([opts.signal, lost.signal]);
      // Stopped while taking the lock: it is let go unused (the connection's end releases it).
      if (!both.aborted) await Promise.all([opts.lead(both), watchLeadership(lockClient, both, lost, opts.name)]);
      await lockClient.end().catch(() => undefined);
    } catch (err) {
      logger.error({ err }, `${opts.name}: connection failed; retrying`);
      await lockClient.end().catch(() => undefined);
      await sleep(env.LEADER_RETRY_MS, opts.signal);
    }
  }
}

/**
 * The lock lives as long as its connection, and a connection can die without an 'error'
 * (a peer that vanished sends no reset): a query every LEADER_CHECK_MS, bounded by the
 * client's query_timeout, tells the leader it still leads, or stops it.
 */
async function watchLeadership(lockClient: pg.Client, signal: AbortSignal, lost: AbortController, name: string): Promise<void> {
  while (!signal.aborted) {
    await sleep(LEADER_CHECK_MS, signal);
    if (signal.aborted) return;
    try {
      await lockClient.query("SELECT 1");
    } catch (err) {
      logger.warn({ err }, `${name}: leader connection failed its check`);
      lost.abort();
      return;
    }
  }
}
