import { z } from "zod";
import { AppError } from "../../errors.ts";
import { idempotencyKeyOf, type IdempotentResponse, runIdempotent } from "../idempotency/run-idempotent.ts";
import { requestUnbond, stakeNode } from "./stake.ts";
import type { TStakeNodeRequest, TStakeRequest } from "./stake-request.ts";

// Stake and unbond under the organisation's idempotency keys, for REST and tRPC alike. A
// key is scoped to the node it names: the same key on another node is another request.

interface StakeCall<R extends TStakeRequest = TStakeRequest> {
  orgId: string;
  nodeId: string;
  request: R;
  /** The Idempotency-Key header, if any (else the body's idempotencyKey). Without either the
   * request runs once, and a retry is another request. */
  headerKey: string | null;
}

function keyAndNode(call: StakeCall): { key: string | undefined; nodeId: string } {
  // Another provider's node, a missing one and a malformed id look the same.
  if (!z.uuid().safeParse(call.nodeId).success) throw new AppError("NOT_FOUND", "node not found");
  return { key: idempotencyKeyOf(call.headerKey, call.request.idempotencyKey), nodeId: call.nodeId.toLowerCase() };
}

/** Bonds tokens to a node once per key: 201 with the transfer; a retry replays it. */
export async function stakeNodeOnce(
  call: StakeCall<TStakeNodeRequest>,
): Promise<IdempotentResponse<{ transferId: string; created: boolean }>> {
  const { key, nodeId } = keyAndNode(call);
  const source = call.request.source ?? "any";
  return runIdempotent(
    { orgId: call.orgId, operation: `nodes.stake:${nodeId}`, key, request: { amount: call.request.amount, source } },
    async () => {
      const staked = await stakeNode({ orgId: call.orgId, nodeId, amount: BigInt(call.request.amount), idempotencyKey: key, source });
      return { status: staked.created ? 201 : 200, body: staked };
    },
  );
}

/** Starts unbonding once per key: a retry answers the stored request and release time. */
export async function requestUnbondOnce(call: StakeCall): Promise<IdempotentResponse<{ requestId: string; releaseAt: string }>> {
  const { key, nodeId } = keyAndNode(call);
  return runIdempotent(
    { orgId: call.orgId, operation: `nodes.unbond:${nodeId}`, key, request: { amount: call.request.amount } },
    async () => ({
      status: 201,
      body: await requestUnbond({ orgId: call.orgId, nodeId, amount: BigInt(call.request.amount), idempotencyKey: key }),
    }),
  );
}
