import { z } from "zod";
import { parseBaseUnits } from "../../services/payouts/withdrawals.ts";
import { claimRewards, getRewards, listClaims } from "../../services/rewards/claims.ts";
import { listEmissions } from "../../services/rewards/distribute.ts";
import { createTRPCRouter, orgProcedure, publicProcedure } from "../trpc.ts";

// Amounts cross as decimal strings of base units (bigint-safe); the service says what is wrong.
const ZUnits = z.string().max(40);

const userIdOf = (caller: { kind: string; userId?: string }) => (caller.kind === "session" ? (caller.userId ?? null) : null);

export const rewardsRouter = createTRPCRouter({
  /** The provider portal's rewards: totals, grants, claims and the chart's series. */
  overview: orgProcedure("billing:read")
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }).default({ limit: 20 }))
    .query(({ ctx, input }) => getRewards({ orgId: ctx.org.orgId, limit: input.limit })),
  claims: orgProcedure("billing:read")
    .input(z.object({ limit: z.number().int().min(1).max(100).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => listClaims({ orgId: ctx.org.orgId, limit: input.limit })),
  claim: orgProcedure("payouts:write")
    .input(
      z.object({
        kind: z.enum(["vested", "early"]).default("vested"),
        grantId: z.string().max(100).optional(),
        amount: ZUnits.optional(),
        haircut: ZUnits.optional(),
        idempotencyKey: z.string().min(1).max(200).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      claimRewards({
        orgId: ctx.org.orgId,
        userId: userIdOf(ctx.org),
        kind: input.kind,
        grantId: input.grantId ?? null,
        amount: input.amount === undefined ? null : parseBaseUnits(input.amount),
        expectedHaircut: input.haircut === undefined ? null : parseBaseUnits(input.haircut, "haircut", { allowZero: true }),
        idempotencyKey: input.idempotencyKey ?? null,
      }),
    ),
  /** Public: emission per closed epoch (the explorer's chart). */
  emissions: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(96) }).default({ limit: 96 }))
    .query(({ input }) => listEmissions({ limit: input.limit })),
});
