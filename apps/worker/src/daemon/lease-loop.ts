import type { WorkerConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { type NodeClient, sleep } from "../protocol/node-client.ts";

/**
 * One slot's lease loop, shared by the worker (jobs) and the checker (checks): long-poll
 * `path`, hand what it returns to `run`, repeat until `stop`. An unreachable platform is
 * retried with backoff; a refusal (403: quarantined, no licence, stake too low) is logged
 * and retried after the longest backoff, so a provider can fix it without a restart.
 */
export async function leaseLoop<T>(opts: {
  client: NodeClient;
  config: WorkerConfig;
  log: Logger;
  stop: AbortSignal;
  slot: number;
  path: string;
  waitMs: number;
  take: (reply: unknown) => T | null;
  run: (leased: T) => Promise<void>;
}): Promise<void> {
  const { client, config, log, stop, slot } = opts;
  while (!stop.aborted) {
    let leased: T | null = null;
    try {
      const reply = await client.postWithRetry<unknown>(opts.path, { waitMs: opts.waitMs }, {
        signal: stop,
        timeoutMs: opts.waitMs + config.REQUEST_TIMEOUT_MS,
        maxDelayMs: config.RETRY_MAX_DELAY_MS,
        onRetry: (err, n, delay) => log.warn({ err: String(err), n, delayMs: Math.round(delay), slot }, "platform unreachable; backing off"),
      });
      leased = opts.take(reply);
    } catch (err) {
      if (stop.aborted) break;
      log.error({ err: String(err), slot }, "lease refused");
      await sleep(config.RETRY_MAX_DELAY_MS, stop);
      continue;
    }
    if (leased) await opts.run(leased);
  }
}
