import { z } from "zod";
import { deleteCustomModel } from "../../services/models/delete-model.ts";
import { listModels } from "../../services/models/list-models.ts";
import { maxUploadBytes } from "../../services/models/model-uploads.ts";
import { registerUploadedModel, ZRegisterModelRequest } from "../../services/models/register-model.ts";
import { updateCustomModel, ZUpdateModelRequest } from "../../services/models/update-model.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

// Uploaded models (issue 17) for the dashboard: the same services as /api/v1/models, with
// the session's organisation. The bytes come in over the resumable upload the dashboard's own
// route takes with the session (app/(account)/dashboard/models/uploads); `register` checks
// and stores the finished upload exactly as POST /api/v1/models `{ uploadId }` does.

export const customModelsRouter = createTRPCRouter({
  /** The organisation's uploaded models (private and public) and others' public ones, with the largest upload taken. */
  list: orgProcedure("models:read").query(async ({ ctx }) => {
    const models = await listModels({ orgId: ctx.org.orgId });
    return { models: models.flatMap((m) => ("custom" in m ? [m] : [])), maxUploadBytes: maxUploadBytes() };
  }),
  /** Validates, runs in the sandbox and stores a finished upload: a refusal is UNPROCESSABLE (PAYLOAD_TOO_LARGE for a size limit) with the reason. */
  register: orgProcedure("models:write")
    .input(ZRegisterModelRequest)
    .mutation(({ ctx, input }) =>
      registerUploadedModel({ orgId: ctx.org.orgId, keyId: ctx.org.kind === "apiKey" ? ctx.org.keyId : null, request: input }),
    ),
  /** Changes the organisation's listing: name, visibility or royalty (updateCustomModel, as PATCH /api/v1/models/{id}). */
  update: orgProcedure("models:write")
    .input(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, "a model id (sha256)"), changes: ZUpdateModelRequest }))
    .mutation(({ ctx, input }) => updateCustomModel({ orgId: ctx.org.orgId, id: input.id, request: input.changes })),
  /** The organisation gives up its model (deleteCustomModel: jobs and receipts that name it stay valid). */
  delete: orgProcedure("models:write")
    .input(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, "a model id (sha256)") }))
    .mutation(({ ctx, input }) => deleteCustomModel({ orgId: ctx.org.orgId, id: input.id })),
});
