import { sql } from "@proofgrid/db/sql-client";
import { isNodeOwnedBy } from "@proofgrid/db/stakes/provider-nodes";
import { AppError } from "../../errors.ts";
import { isNodeId } from "../market/ask-price.ts";
import { type NodeStakeStatus, nodeStakeStatus } from "./exposure.ts";

/** One of the provider's nodes' stake status; another provider's node is NOT_FOUND, like a missing one. */
export async function getNodeStakeStatus(opts: { orgId: string; nodeId: string }): Promise<NodeStakeStatus> {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "node not found");
  if (!(await isNodeOwnedBy(sql(), opts))) throw new AppError("NOT_FOUND", "node not found");
  return nodeStakeStatus(sql(), opts);
}
