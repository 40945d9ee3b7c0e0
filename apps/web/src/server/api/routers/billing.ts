import { getBalance } from "../../services/billing/get-balance.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

export const billingRouter = createTRPCRouter({
  balance: orgProcedure("billing:read").query(({ ctx }) => getBalance({ orgId: ctx.org.orgId })),
});
