import { findOrgNodeRole, updateOrgNodeAskPrice } from "@proofgrid/db/nodes/worker-settings";
import { sql } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { invalidateLiveNetwork } from "./live-network.ts";

/** The same bound registration puts on an ask (nodes/register-node.ts). */
export const MAX_ASK_PRICE_PER_CU = 1_000_000_000_000n;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ZSetAskPriceRequest = z
  .object({
    /** Base units per CU: a positive integer ≤ 10^12 (a number or a decimal string), or null for the list price. */
    askPricePerCu: z.union([
      z.number().int().positive().max(Number(MAX_ASK_PRICE_PER_CU)),
      z
        .string()
        .regex(/^[1-9][0-9]{0,12}$/, "a positive integer of base units")
        // zod runs a refinement even after the regex failed: only digits reach BigInt().
        .refine((v) => !/^[0-9]+$/.test(v) || BigInt(v) <= MAX_ASK_PRICE_PER_CU, { message: `at most ${MAX_ASK_PRICE_PER_CU}` }),
      z.null(),
    ]),
  })
  .strict();
export type TSetAskPriceRequest = z.infer<typeof ZSetAskPriceRequest>;

export interface AskPriceView {
  nodeId: string;
  /** The node's own ask; null = it asks the list price. */
  askPricePerCu: string | null;
  /** What the indexer compares with customers' caps. */
  effectiveAskPricePerCu: string;
  listPricePerCu: string;
}

/**
 * Sets a worker's asking price. Applies to jobs placed from now on: a job already assigned
 * keeps the price fixed at its assignment. Another provider's node answers 404, like a
 * missing one (tenant isolation).
 */
export async function setAskPrice(opts: { orgId: string; nodeId: string; request: TSetAskPriceRequest }): Promise<AskPriceView> {
  const ask = opts.request.askPricePerCu === null ? null : BigInt(opts.request.askPricePerCu);
  if (ask !== null && (ask <= 0n || ask > MAX_ASK_PRICE_PER_CU))
    throw new AppError("BAD_REQUEST", `askPricePerCu must be between 1 and ${MAX_ASK_PRICE_PER_CU}`);
  if (!UUID.test(opts.nodeId)) throw new AppError("NOT_FOUND", "node not found");
  const role = await findOrgNodeRole(sql(), { orgId: opts.orgId, nodeId: opts.nodeId });
  if (!role) throw new AppError("NOT_FOUND", "node not found");
  if (role !== "worker") throw new AppError("BAD_REQUEST", "only a worker has an asking price: checkers are paid from the checker pool");
  await updateOrgNodeAskPrice(sql(), { orgId: opts.orgId, nodeId: opts.nodeId, askPerCuBaseUnits: ask });
  invalidateLiveNetwork();
  const listPrice = BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  logger.info({ nodeId: opts.nodeId, orgId: opts.orgId, askPricePerCu: ask?.toString() ?? null }, "ask price set");
  return {
    nodeId: opts.nodeId,
    askPricePerCu: ask?.toString() ?? null,
    effectiveAskPricePerCu: (ask ?? listPrice).toString(),
    listPricePerCu: listPrice.toString(),
  };
}

export function isNodeId(id: string): boolean {
  return UUID.test(id);
}
