import { ZGoodbyeReply } from "@proofgrid/por";
import type { Logger } from "../logger.ts";
import type { NodeClient } from "../protocol/node-client.ts";

/**
 * Tells the platform this node stopped cleanly, so it shows offline at once instead of
 * after the silence timeout (NODE_OFFLINE_AFTER_MS, 60 s, checked every 30 s). Sent after
 * the daemon's jobs are finished or handed back. Best effort: one signed request with a
 * short timeout; if it is lost, the silence timeout still marks the node offline.
 */
export async function sayGoodbye(opts: { client: NodeClient; log: Logger; timeoutMs: number }): Promise<void> {
  try {
    await opts.client.post("/api/node/goodbye", {}, ZGoodbyeReply, { timeoutMs: opts.timeoutMs });
    opts.log.info("said goodbye: the platform shows this node offline");
  } catch (err) {
    opts.log.warn({ err: String(err) }, "goodbye not delivered: the platform will mark this node offline when it stops hearing from it");
  }
}
