import { holdLeadership } from "../../coordinator/leadership.ts";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { runDispatcher } from "./dispatcher.ts";

// Any constant works; it only has to differ from the coordinator's and the migration runner's.
export const DISPATCH_LOCK_KEY = 7_264_003;

const globalForLeader = globalThis as typeof globalThis & { __proofgridDispatchLeader?: AbortController };

/**
 * With DISPATCH_IN=web (the default), every web process stands for the dispatcher's
 * leadership and one at a time runs it (a session advisory lock, as the coordinator leads):
 * the dispatcher then sits where submits arrive and where the workers' long-polls wait, so a
 * submit wakes it and its offers wake the long-polls in memory, without a NOTIFY's round trip
 * through Postgres and a hop through the coordinator's process (issue 15). Workers lease only
 * through web processes, so there is always one where there is work to place. Idempotent;
 * `stopDispatchLeadership` ends it (shutdown).
 */
export function startDispatchLeadership(): void {
  if (getEnv().DISPATCH_IN !== "web" || globalForLeader.__proofgridDispatchLeader) return;
  const controller = new AbortController();
  globalForLeader.__proofgridDispatchLeader = controller;
  void leadDispatcher(controller.signal, "web process").catch((err: unknown) => logger.error({ err }, "dispatcher leadership ended"));
}

/**
 * Runs the dispatcher while this process holds DISPATCH_LOCK_KEY, wherever it runs (a web
 * process, or the coordinator with DISPATCH_IN=coordinator): a web process and a
 * coordinator configured differently still never place at once.
 */
export function leadDispatcher(signal: AbortSignal, where: string): Promise<void> {
  return holdLeadership({
    lockKey: DISPATCH_LOCK_KEY,
    name: "dispatcher",
    signal,
    lead: async (leading) => {
      logger.info(`dispatcher: leading (in this ${where})`);
      await runDispatcher({ signal: leading });
    },
  });
}

export function stopDispatchLeadership(): void {
  globalForLeader.__proofgridDispatchLeader?.abort();
}
