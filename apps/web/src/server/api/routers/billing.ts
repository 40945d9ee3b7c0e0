import { z } from "zod";
import { AppError } from "../../errors.ts";
import { getBalance } from "../../services/billing/get-balance.ts";
import {
  getBillingHistory,
  getBillingOverview,
  setKeySpendCap,
  updateBillingSettings,
  ZUpdateBillingSettingsRequest,
} from "../../services/billing/billing-account.ts";
import { confirmCheckout, ZConfirmCheckoutRequest } from "../../services/billing/confirm-checkout.ts";
import { createCheckoutIdempotently, ZCreateCheckoutRequest, ZTokenCount } from "../../services/billing/create-checkout.ts";
import { ZIdempotencyKey } from "../../services/idempotency/run-idempotent.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

/** Spend caps and auto top-up are the owners' decisions; a member may still buy credits. */
function assertOwnerOrKey(caller: { kind: string; role?: string }): void {
  if (caller.kind === "session" && caller.role !== "owner")
    throw new AppError("FORBIDDEN", "only the organisation's owners change its billing settings");
}

export const billingRouter = createTRPCRouter({
  balance: orgProcedure("billing:read").query(({ ctx }) => getBalance({ orgId: ctx.org.orgId })),
  overview: orgProcedure("billing:read").query(({ ctx }) => getBillingOverview({ orgId: ctx.org.orgId })),
  history: orgProcedure("billing:read").query(({ ctx }) => getBillingHistory({ orgId: ctx.org.orgId })),
  /** A Stripe Checkout session for `tokens`; send the buyer to `url`. `idempotencyKey` as Stripe's Idempotency-Key. */
  checkout: orgProcedure("billing:write")
    .input(ZCreateCheckoutRequest.extend({ idempotencyKey: ZIdempotencyKey.optional() }))
    .mutation(
      async ({ ctx, input }) =>
        (
          await createCheckoutIdempotently({
            orgId: ctx.org.orgId,
            request: { tokens: input.tokens, saveCard: input.saveCard },
            origin: ctx.origin,
            headerKey: ctx.idempotencyKeyHeader,
            bodyKey: input.idempotencyKey,
            createdBy: ctx.org.kind === "apiKey" ? { keyId: ctx.org.keyId } : { userId: ctx.org.userId },
          })
        ).body,
    ),
  /** The success page: this organisation's purchase behind a session, credited if Stripe says it is paid. */
  confirmCheckout: orgProcedure("billing:read")
    .input(ZConfirmCheckoutRequest)
    .mutation(({ ctx, input }) => confirmCheckout({ orgId: ctx.org.orgId, sessionId: input.sessionId })),
  updateSettings: orgProcedure("billing:write")
    .input(ZUpdateBillingSettingsRequest)
    .mutation(({ ctx, input }) => {
      assertOwnerOrKey(ctx.org);
      return updateBillingSettings({ orgId: ctx.org.orgId, request: input });
    }),
  setKeySpendCap: orgProcedure("billing:write")
    .input(z.object({ keyId: z.uuid(), monthlySpendCap: z.union([ZTokenCount, z.null()]) }))
    .mutation(async ({ ctx, input }) => {
      assertOwnerOrKey(ctx.org);
      await setKeySpendCap({ orgId: ctx.org.orgId, keyId: input.keyId, monthlySpendCap: input.monthlySpendCap });
      return { keyId: input.keyId, monthlySpendCap: input.monthlySpendCap };
    }),
});
