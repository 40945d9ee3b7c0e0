import { deleteModelOwnership } from "@proofgrid/db/models/custom-models";
import { sql } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";

/**
 * The organisation gives up its uploaded model (issue 17): its ownership goes, so the model
 * leaves its list and, if it was public through this ownership, everyone's. The model's row
 * and stored file stay: its jobs and receipts name it, and another organisation may own the
 * same bytes.
 */
export async function deleteCustomModel(opts: { orgId: string; id: string }): Promise<{ id: string; deleted: true }> {
  const removed = /^[0-9a-f]{64}$/.test(opts.id) && (await deleteModelOwnership(sql(), { orgId: opts.orgId, modelId: opts.id }));
  if (!removed) throw new AppError("NOT_FOUND", `no model ${opts.id.slice(0, 64)} of your organisation's`);
  return { id: opts.id, deleted: true };
}
