import { sql } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { isNodeId } from "../market/ask-price.ts";
import { type NodeStakeStatus, nodeStakeStatus } from "./exposure.ts";

/** One of the provider's nodes' stake status; another provider's node is NOT_FOUND, like a missing one. */
export async function getNodeStakeStatus(opts: { orgId: string; nodeId: string }): Promise<NodeStakeStatus> {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "node not found");
  const owned = await sql().$queryRaw<{ id: string }[]>`SELECT id FROM nodes WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid`;
  if (owned.length === 0) throw new AppError("NOT_FOUND", "node not found");
  return nodeStakeStatus(sql(), opts);
}
