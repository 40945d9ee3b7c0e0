import { z } from "zod";
import { createRegistrationToken, ZRegion } from "../../services/nodes/create-registration-token.ts";
import { listNodes } from "../../services/nodes/list-nodes.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

export const providersRouter = createTRPCRouter({
  createRegistrationToken: orgProcedure("nodes:write")
    .input(z.object({ role: z.enum(["worker", "checker"]).default("worker"), platformUrl: z.url().max(200), region: ZRegion.optional() }))
    .mutation(({ ctx, input }) =>
      createRegistrationToken({ orgId: ctx.org.orgId, role: input.role, platformUrl: input.platformUrl, region: input.region }),
    ),
  nodes: orgProcedure("nodes:read").query(({ ctx }) => listNodes({ orgId: ctx.org.orgId })),
});
