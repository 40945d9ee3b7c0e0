import { z } from "zod";
import { assertScopesGrantable, createApiKey, listApiKeys, revokeApiKey, ZCreateApiKeyRequest } from "../../auth/api-keys.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

export const keysRouter = createTRPCRouter({
  create: orgProcedure("keys:write")
    .input(ZCreateApiKeyRequest)
    .mutation(({ ctx, input }) => {
      assertScopesGrantable(ctx.org.scopes, input.scopes);
      return createApiKey({ orgId: ctx.org.orgId, ...input });
    }),
  list: orgProcedure("keys:write").query(({ ctx }) => listApiKeys({ orgId: ctx.org.orgId })),
  revoke: orgProcedure("keys:write")
    .input(z.object({ id: z.uuid() }))
    .mutation(({ ctx, input }) => revokeApiKey({ orgId: ctx.org.orgId, keyId: input.id })),
});
