import {
  lapseNodeOffers,
  loadWorkerSettings,
  lockOrgNodeRole,
  pauseNode,
  renameNode,
  resumeNode,
  updateNodeAskPrice,
} from "@proofgrid/db/nodes/worker-settings";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { pgText } from "../../http/safe-text.ts";
import { logger } from "../../logger.ts";
import { isNodeId, ZSetAskPriceRequest } from "../market/ask-price.ts";
import { invalidateLiveNetwork } from "../market/live-network.ts";

// What a provider changes about one of its workers from the portal or the API
// (PATCH /api/v1/nodes/:id): its name, whether it takes new work, and its asking price.
// Pausing drains it: nothing new is placed on it (jobs, challenges, standby checks,
// reservations), offers it has not leased go back to the queue at once, and the jobs it is
// running finish and are paid as usual. Resuming makes it placeable again.

export const ZUpdateWorkerRequest = z
  .object({
    /** Shown in the portal and the API; 1–64 characters. */
    name: pgText()
      .transform((v) => v.trim())
      .pipe(z.string().min(1, "a name is 1 to 64 characters").max(64, "a name is 1 to 64 characters"))
      .optional(),
    /** true: take no new work (drain); false: take work again. */
    paused: z.boolean().optional(),
    askPricePerCu: ZSetAskPriceRequest.shape.askPricePerCu.optional(),
  })
  .strict()
  .refine((r) => r.name !== undefined || r.paused !== undefined || r.askPricePerCu !== undefined, {
    message: "send at least one of name, paused, askPricePerCu",
  });
export type TUpdateWorkerRequest = z.infer<typeof ZUpdateWorkerRequest>;

export interface WorkerUpdate {
  nodeId: string;
  name: string;
  paused: boolean;
  pausedAt: string | null;
  askPricePerCu: string | null;
  /** Offers it had not leased, returned to the queue by this pause. */
  offersReturned: number;
}

/** Applies a provider's change to its worker, all or nothing; another provider's node is 404. */
export async function updateWorker(opts: { orgId: string; nodeId: string; request: TUpdateWorkerRequest }): Promise<WorkerUpdate> {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "worker not found");
  const { name, paused, askPricePerCu } = opts.request;
  const result = await sqlTransaction(async (tx) => {
    const role = await lockOrgNodeRole(tx, { orgId: opts.orgId, nodeId: opts.nodeId });
    if (!role) throw new AppError("NOT_FOUND", "worker not found");
    if (role !== "worker" && (paused !== undefined || askPricePerCu !== undefined))
      throw new AppError("BAD_REQUEST", "only a worker can be paused or given an asking price: this node is a checker");
    if (name !== undefined) await renameNode(tx, { nodeId: opts.nodeId, name });
    if (askPricePerCu !== undefined) {
      // Bounds were checked by the schema (1..10^12, or null for the list price).
      const ask = askPricePerCu === null ? null : BigInt(askPricePerCu);
      await updateNodeAskPrice(tx, { nodeId: opts.nodeId, askPerCuBaseUnits: ask });
    }
    let offersReturned = 0;
    if (paused === true) {
      await pauseNode(tx, { nodeId: opts.nodeId });
      // Offers it has not leased lapse now: the sweeper puts them back in the queue with
      // this node declined, as after a goodbye. Jobs it is running are left to finish.
      offersReturned = await lapseNodeOffers(tx, { nodeId: opts.nodeId });
    } else if (paused === false) {
      await resumeNode(tx, { nodeId: opts.nodeId });
    }
    return { offersReturned };
  });
  invalidateLiveNetwork();
  const view = await loadWorkerSettings(sql(), { nodeId: opts.nodeId });
  if (!view) throw new AppError("NOT_FOUND", "worker not found");
  logger.info(
    { nodeId: opts.nodeId, orgId: opts.orgId, name: name ?? undefined, paused, offersReturned: result.offersReturned },
    "worker updated",
  );
  return {
    nodeId: opts.nodeId,
    name: view.name,
    paused: view.paused_at !== null,
    pausedAt: view.paused_at?.toISOString() ?? null,
    askPricePerCu: view.ask_price_per_cu === null ? null : view.ask_price_per_cu.toString(),
    offersReturned: result.offersReturned,
  };
}
