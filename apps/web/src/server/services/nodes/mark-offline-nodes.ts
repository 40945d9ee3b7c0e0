import { purgeNodeNonces } from "@proofgrid/db/nodes/node-nonces";
import { markSilentNodesOffline } from "@proofgrid/db/nodes/node-presence";
import { db } from "../../db.ts";

/**
 * Nodes silent for longer than `silenceMs` are shown offline (quarantine is kept), and an
 * outage is opened from the moment they were last heard from: the measured downtime that
 * reservations credit (services/reservations).
 */
export async function markOfflineNodes(opts: { silenceMs: number }): Promise<number> {
  return markSilentNodesOffline(db(), { silenceMs: opts.silenceMs });
}

/** Nonces older than the signature window can never be replayed: forget them. */
export async function purgeNonces(opts: { olderThanMs: number }): Promise<number> {
  return purgeNodeNonces(db(), { olderThanMs: opts.olderThanMs });
}
