import { z } from "zod";
import { createPayoutAddressChallenge, getPayoutAddress, verifyPayoutAddress } from "../../services/payouts/payout-address.ts";
import { getWithdrawal, listWithdrawals, parseBaseUnits, quoteWithdrawal, requestWithdrawal } from "../../services/payouts/withdrawals.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

// Amounts cross as decimal strings of base units (bigint-safe); the service says what is wrong.
const ZUnits = z.string().max(40);

const userIdOf = (caller: { kind: string; userId?: string }) => (caller.kind === "session" ? (caller.userId ?? null) : null);

export const payoutsRouter = createTRPCRouter({
  address: orgProcedure("billing:read").query(({ ctx }) => getPayoutAddress({ orgId: ctx.org.orgId })),
  createChallenge: orgProcedure("payouts:write")
    .input(z.object({ address: z.string().max(100) }))
    .mutation(({ ctx, input }) => createPayoutAddressChallenge({ orgId: ctx.org.orgId, address: input.address })),
  verifyAddress: orgProcedure("payouts:write")
    .input(z.object({ challengeId: z.string().max(100), signature: z.string().max(200) }))
    .mutation(({ ctx, input }) =>
      verifyPayoutAddress({ orgId: ctx.org.orgId, userId: userIdOf(ctx.org), challengeId: input.challengeId, signature: input.signature }),
    ),
  quote: orgProcedure("billing:read")
    .input(z.object({ amount: ZUnits.optional() }))
    .query(({ ctx, input }) =>
      quoteWithdrawal({ orgId: ctx.org.orgId, amount: input.amount === undefined ? undefined : parseBaseUnits(input.amount) }),
    ),
  withdraw: orgProcedure("payouts:write")
    .input(z.object({ amount: ZUnits, fee: ZUnits.optional(), idempotencyKey: z.string().min(1).max(200).optional() }))
    .mutation(async ({ ctx, input }) => {
      const res = await requestWithdrawal({
        orgId: ctx.org.orgId,
        userId: userIdOf(ctx.org),
        amount: parseBaseUnits(input.amount),
        expectedFee: input.fee === undefined ? undefined : parseBaseUnits(input.fee, "fee", { allowZero: true }),
        idempotencyKey: input.idempotencyKey ?? null,
      });
      return res;
    }),
  list: orgProcedure("billing:read")
    .input(z.object({ limit: z.number().int().min(1).max(100).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => listWithdrawals({ orgId: ctx.org.orgId, limit: input.limit })),
  get: orgProcedure("billing:read")
    .input(z.object({ id: z.string().max(100) }))
    .query(({ ctx, input }) => getWithdrawal({ orgId: ctx.org.orgId, id: input.id })),
});
