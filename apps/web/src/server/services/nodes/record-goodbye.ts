import type { GoodbyeReply } from "@proofgrid/por";
import { recordNodeGoodbye } from "@proofgrid/db/nodes/node-presence";
import { sql } from "@proofgrid/db/sql-client";
import { logger } from "../../logger.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

/**
 * A node that stopped cleanly says goodbye (after finishing or handing back its jobs): it
 * is shown offline now, not after the silence timeout (NODE_OFFLINE_AFTER_MS + a sweep,
 * up to ~90 s by default), and an outage opens now, as the silence path would open one.
 * Offers the indexer made to it and it never leased lapse at once, so the sweeper returns
 * them to the queue (with the node in `declined`) within a sweep. Its running jobs are
 * left alone: a clean stop has already handed them back, and any it still holds keep
 * their lease until it expires, as for any silent node. A quarantined node stays
 * quarantined. Its next signed request brings it back online (authenticateNode).
 */
export async function recordGoodbye(opts: { node: NodeIdentity }): Promise<GoodbyeReply> {
  const r = (await recordNodeGoodbye(sql(), { nodeId: opts.node.id })) ?? { went_offline: false, offers: 0 };
  logger.info({ nodeId: opts.node.id, wentOffline: r.went_offline, offersReturned: r.offers }, "node said goodbye");
  return { status: opts.node.status === "quarantined" ? "quarantined" : "offline", offersReturned: r.offers };
}
