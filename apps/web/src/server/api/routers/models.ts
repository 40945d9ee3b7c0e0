import { listModels } from "../../services/models/list-models.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

export const modelsRouter = createTRPCRouter({
  list: orgProcedure("models:read").query(() => listModels()),
});
