import { conflictingPublicProcessing, listVisibleCustomModels, updateModelOwnership } from "@proofgrid/db/models/custom-models";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { publishConflict } from "./publish-conflict.ts";
import { pgText } from "../../http/safe-text.ts";
import { logger } from "../../logger.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { customModelView } from "./list-models.ts";
import { ZRoyalty } from "./register-model.ts";

export const ZUpdateModelRequest = z
  .strictObject({
    name: pgText().trim().min(1).max(100).optional().describe("Your name for the model."),
    visibility: z.enum(["private", "public"]).optional().describe("`private`: your organisation only; `public`: listed for everyone."),
    royalty: ZRoyalty.optional().describe(
      "Base units paid to your organisation for each job another organisation runs on the model while it is public (at most 1000 tokens). A job already submitted keeps the royalty it was submitted with; customers may cap it with `maxRoyalty`.",
    ),
  })
  .refine((r) => r.name !== undefined || r.visibility !== undefined || r.royalty !== undefined, {
    message: "give at least one of name, visibility, royalty",
  });
export type TUpdateModelRequest = z.infer<typeof ZUpdateModelRequest>;

/**
 * The owner changes its uploaded model's name, visibility or royalty (issue 17). Only its
 * own listing changes: another organisation that uploaded the same bytes keeps its own. A
 * change applies to jobs submitted from then on; each job keeps the royalty it was held with.
 */
export async function updateCustomModel(opts: { orgId: string; id: string; request: TUpdateModelRequest }) {
  const { orgId, id, request } = opts;
  const changed =
    /^[0-9a-f]{64}$/.test(id) &&
    (await sqlTransaction(async (tx) => {
      await ensureOrgAccounts(tx, orgId);
      if (request.visibility === "public") {
        const other = await conflictingPublicProcessing(tx, { orgId, modelId: id });
        if (other) throw publishConflict(other);
      }
      return updateModelOwnership(tx, { orgId, modelId: id, ...request });
    }));
  if (!changed) throw new AppError("NOT_FOUND", `no model ${id.slice(0, 64)} of your organisation's`);
  const [row] = await listVisibleCustomModels(sql(), { orgId, modelId: id, limit: 1 });
  if (!row) throw new Error(`model ${id} was updated but is not visible to its owner`);
  logger.info({ orgId, modelId: id, changed: Object.keys(request) }, "custom model updated");
  return customModelView(row, getEnv().PRICE_PER_CU_BASE_UNITS);
}
