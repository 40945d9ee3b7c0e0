import { z } from "zod";
import { jobVerification, rerunJob } from "../../services/jobs/rerun-job.ts";
import { requestUnbondOnce, stakeNodeOnce } from "../../services/verification/stake-once.ts";
import { ZStakeNodeRequest, ZStakeRequest } from "../../services/verification/stake-request.ts";
import { getNodeStakeStatus } from "../../services/verification/node-stake-status.ts";
import { listProviderRecords } from "../../services/verification/provider-records.ts";
import { currentVerification, listEpochs } from "../../services/verification/stats.ts";
import { createTRPCRouter, orgProcedure, publicProcedure } from "../trpc.ts";

export const verificationRouter = createTRPCRouter({
  /** Public transparency: closed epochs and the running one. */
  epochs: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(96) }).default({ limit: 96 }))
    .query(async ({ input }) => ({ current: await currentVerification(), epochs: await listEpochs({ limit: input.limit }) })),
  job: orgProcedure("jobs:read")
    .input(z.object({ jobId: z.string().max(64) }))
    .query(({ ctx, input }) => jobVerification({ orgId: ctx.org.orgId, jobId: input.jobId })),
  rerun: orgProcedure("jobs:write")
    .input(z.object({ jobId: z.string().max(64) }))
    .mutation(({ ctx, input }) => rerunJob({ orgId: ctx.org.orgId, jobId: input.jobId })),
  /** Bonds tokens to a node: released earnings first, then credits (`source: "earnings"`: only earnings). */
  stake: orgProcedure("nodes:write")
    .input(ZStakeNodeRequest.extend({ nodeId: z.uuid() }))
    .mutation(
      async ({ ctx, input }) =>
        (await stakeNodeOnce({ orgId: ctx.org.orgId, nodeId: input.nodeId, request: input, headerKey: ctx.idempotencyKeyHeader })).body,
    ),
  /** Bonded, unbonding, exposure used/limit, starter allowance, held earnings and their release times. */
  stakeStatus: orgProcedure("nodes:read")
    .input(z.object({ nodeId: z.string().max(64) }))
    .query(({ ctx, input }) => getNodeStakeStatus({ orgId: ctx.org.orgId, nodeId: input.nodeId })),
  /** Public: each provider's record (nodes, proven frauds, slashes, refunds). */
  providers: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
    .query(({ input }) => listProviderRecords({ limit: input.limit })),
  unbond: orgProcedure("nodes:write")
    .input(ZStakeRequest.extend({ nodeId: z.uuid() }))
    .mutation(
      async ({ ctx, input }) =>
        (await requestUnbondOnce({ orgId: ctx.org.orgId, nodeId: input.nodeId, request: input, headerKey: ctx.idempotencyKeyHeader })).body,
    ),
});
