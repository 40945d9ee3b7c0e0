import { z } from "zod";
import {
  acceptInvitation,
  describeInvitation,
  inviteMember,
  listMembers,
  removeMember,
  revokeInvitation,
  setMemberRole,
  ZInviteRequest,
} from "../../services/accounts/members.ts";
import { createTRPCRouter, memberProcedure, publicProcedure, userProcedure } from "../trpc.ts";

const ZToken = z.string().min(10).max(100);

export const membersRouter = createTRPCRouter({
  list: memberProcedure.query(({ ctx }) => listMembers(ctx.actor.orgId)),
  invite: memberProcedure.input(ZInviteRequest).mutation(({ ctx, input }) => inviteMember(ctx.actor, input, { origin: ctx.origin })),
  revokeInvitation: memberProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => revokeInvitation(ctx.actor, input.id)),
  setRole: memberProcedure
    .input(z.object({ userId: z.uuid(), role: z.enum(["owner", "member"]) }))
    .mutation(({ ctx, input }) => setMemberRole(ctx.actor, input)),
  remove: memberProcedure.input(z.object({ userId: z.uuid() })).mutation(({ ctx, input }) => removeMember(ctx.actor, input.userId)),
  /** What a link offers (organisation and role) before sign-in; nothing for a bad token. */
  describeInvitation: publicProcedure.input(z.object({ token: ZToken })).query(({ input }) => describeInvitation(input.token)),
  accept: userProcedure.input(z.object({ token: ZToken })).mutation(({ ctx, input }) =>
    acceptInvitation({
      token: input.token,
      userId: ctx.session.user.id,
      email: ctx.session.user.email,
      sessionId: ctx.session.sessionId,
    }),
  ),
});
