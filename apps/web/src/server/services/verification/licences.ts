import { sqlTransaction } from "@proofgrid/db/sql-client";
import {
  countActiveLicences,
  insertCheckerLicence,
  loadLicenceOrg,
  lockLicenceGrants,
  revokeActiveLicence,
} from "@proofgrid/db/standing/checker-licences";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { getPorConfig } from "./por-config.ts";

/**
 * Grants a checker licence to a provider (admin). Licences are limited network-wide
 * (CHECKER_LICENCE_LIMIT): the count is taken under a lock so two grants cannot both
 * squeeze past the limit.
 */
export async function grantCheckerLicence(opts: { orgSlug: string; note?: string }) {
  const limit = getPorConfig().licenceLimit;
  return sqlTransaction(async (tx) => {
    await lockLicenceGrants(tx);
    const o = await loadLicenceOrg(tx, { orgSlug: opts.orgSlug });
    if (!o) throw new AppError("NOT_FOUND", `no organisation ${opts.orgSlug}`);
    if (o.kind === "customer") throw new AppError("BAD_REQUEST", "checker licences go to provider organisations");
    if ((await countActiveLicences(tx)) >= limit) throw new AppError("CONFLICT", `all ${limit} checker licences are granted`);
    const licenceId = await insertCheckerLicence(tx, { orgId: o.id, note: opts.note ?? null });
    logger.info({ orgId: o.id, licenceId }, "checker licence granted");
    return { licenceId: licenceId as string, orgId: o.id };
  });
}

/** Revokes a licence: its checker can no longer lease checks. */
export async function revokeCheckerLicence(licenceId: string) {
  return sqlTransaction(async (tx) => {
    if (!(await revokeActiveLicence(tx, { licenceId }))) throw new AppError("NOT_FOUND", "no active licence with this id");
  });
}
