import type { z } from "zod";
import type { WorkerConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { type NodeClient, sleep } from "../protocol/node-client.ts";

/**
 * One slot's lease loop, shared by the worker (jobs) and the checker (checks): long-poll
 * `path`, check the reply against `reply`, hand what `take` finds in it to `run`, repeat
 * until `stop`. An unreachable platform is retried with backoff; a refusal (403:
 * quarantined, no licence, stake too low) or a reply that is not the protocol's is logged
 * and retried after the longest backoff, so a provider can fix it without a restart.
 */
export async function leaseLoop<S extends z.ZodType, T>(opts: {
  client: NodeClient;
  config: WorkerConfig;
  log: Logger;
  stop: AbortSignal;
  slot: number;
  path: string;
  waitMs: number;
  reply: S;
  take: (reply: z.output<S>) => T | null;
  run: (leased: T) => Promise<void>;
}): Promise<void> {
  const { client, config, log, stop, slot } = opts;
  while (!stop.aborted) {
    let leased: T | null = null;
    try {
      const reply = await client.postWithRetry(opts.path, { waitMs: opts.waitMs }, opts.reply, {
        signal: stop,
        timeoutMs: opts.waitMs + config.REQUEST_TIMEOUT_MS,
        maxDelayMs: config.RETRY_MAX_DELAY_MS,
        onRetry: (err, n, delay) =>
          log.warn({ err: String(err), n, delayMs: Math.round(delay), slot }, "platform unreachable; backing off"),
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
