import { z } from "zod";
import { createOrganization, ZCreateOrganizationRequest } from "../../services/accounts/create-organization.ts";
import { setActiveOrganization } from "../../services/accounts/set-active-organization.ts";
import { createTRPCRouter, userProcedure } from "../trpc.ts";

export const accountRouter = createTRPCRouter({
  me: userProcedure.query(({ ctx }) => ({ user: ctx.session.user, activeOrg: ctx.session.activeOrg })),
  listOrganizations: userProcedure.query(({ ctx }) => ctx.session.memberships),
  createOrganization: userProcedure
    .input(ZCreateOrganizationRequest)
    .mutation(({ ctx, input }) => createOrganization({ userId: ctx.session.user.id, sessionId: ctx.session.sessionId, ...input })),
  setActiveOrganization: userProcedure
    .input(z.object({ orgId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      setActiveOrganization({ userId: ctx.session.user.id, sessionId: ctx.session.sessionId, orgId: input.orgId }),
    ),
});
