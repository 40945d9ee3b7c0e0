import {
  type CheckLeaseReply,
  type LeaseReply,
  type NodePath,
  ZCheckLeaseRequest,
  ZCheckReport,
  ZCompleteJobRequest,
  ZFailJobRequest,
  ZGoodbyeRequest,
  ZHeartbeatRequest,
  ZLeaseRequest,
} from "@proofgrid/por";
import type { z } from "zod";
import { countJobResult } from "../metrics.ts";
import type { NodeIdentity } from "../services/nodes/authenticate-node.ts";
import { completeJob } from "../services/nodes/complete-job.ts";
import { failJob } from "../services/nodes/fail-job.ts";
import { heartbeat } from "../services/nodes/heartbeat.ts";
import { leaseJob } from "../services/nodes/lease-job.ts";
import { recordGoodbye } from "../services/nodes/record-goodbye.ts";
import { leaseCheck } from "../services/verification/check-tasks.ts";
import { reportCheck } from "../services/verification/report-check.ts";

/** What a node operation gets once the node is authenticated and the request parsed. */
export interface NodeCall<T> {
  node: NodeIdentity;
  request: T;
  signal: AbortSignal;
}

export interface NodeOperation<S extends z.ZodType = z.ZodType> {
  schema: S;
  run: (call: NodeCall<z.infer<S>>) => Promise<unknown>;
}

const op = <S extends z.ZodType>(schema: S, run: (call: NodeCall<z.infer<S>>) => Promise<unknown>): NodeOperation<S> => ({ schema, run });

/**
 * The signed node operations, by path: one definition served two ways, as a signed HTTP
 * request (the route files under app/api/node, through nodeRoute) and as a frame of a node
 * session (node-session-server.ts). Registration is not here: a node has no identity before it.
 */
export const NODE_OPERATIONS = {
  "/api/node/lease": op(
    ZLeaseRequest,
    async ({ node, request, signal }): Promise<LeaseReply> => ({ job: await leaseJob({ node, waitMs: request.waitMs, signal }) }),
  ),
  "/api/node/complete": op(ZCompleteJobRequest, async ({ node, request }) => {
    try {
      const res = await completeJob({ node, request });
      countJobResult("accepted");
      return res;
    } catch (err) {
      countJobResult("refused");
      throw err;
    }
  }),
  "/api/node/fail": op(ZFailJobRequest, ({ node, request }) => failJob({ node, request })),
  "/api/node/heartbeat": op(ZHeartbeatRequest, ({ node, request }) => heartbeat({ node, request })),
  /** A node stopping cleanly: shown offline at once. */
  "/api/node/goodbye": op(ZGoodbyeRequest, ({ node }) => recordGoodbye({ node })),
  "/api/node/checks/lease": op(
    ZCheckLeaseRequest,
    async ({ node, request, signal }): Promise<CheckLeaseReply> => ({ check: await leaseCheck({ node, waitMs: request.waitMs, signal }) }),
  ),
  "/api/node/checks/report": op(ZCheckReport, ({ node, request }) => reportCheck({ node, report: request })),
} satisfies Record<Exclude<NodePath, "/api/node/register">, NodeOperation>;

export type NodeOperationPath = keyof typeof NODE_OPERATIONS;

export function nodeOperationFor(path: string): NodeOperation | undefined {
  return Object.hasOwn(NODE_OPERATIONS, path) ? (NODE_OPERATIONS as Record<string, NodeOperation>)[path] : undefined;
}
