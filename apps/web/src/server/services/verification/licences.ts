import { sqlTransaction } from "@proofgrid/db/sql-client";
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
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7264101)`;
    const org = await tx.$queryRaw<{ id: string; kind: string }[]>`SELECT id, kind::text AS kind FROM organizations WHERE slug = ${opts.orgSlug}`;
    const o = org[0];
    if (!o) throw new AppError("NOT_FOUND", `no organisation ${opts.orgSlug}`);
    if (o.kind === "customer") throw new AppError("BAD_REQUEST", "checker licences go to provider organisations");
    const active = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM checker_licences WHERE revoked_at IS NULL`;
    if ((active[0]?.n ?? 0) >= limit) throw new AppError("CONFLICT", `all ${limit} checker licences are granted`);
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO checker_licences (id, org_id, note) VALUES (gen_random_uuid(), ${o.id}::uuid, ${opts.note ?? null}) RETURNING id`;
    logger.info({ orgId: o.id, licenceId: rows[0]?.id }, "checker licence granted");
    return { licenceId: rows[0]?.id as string, orgId: o.id };
  });
}

/** Revokes a licence: its checker can no longer lease checks. */
export async function revokeCheckerLicence(licenceId: string) {
  return sqlTransaction(async (tx) => {
    const n = await tx.$executeRaw`UPDATE checker_licences SET revoked_at = now() WHERE id = ${licenceId}::uuid AND revoked_at IS NULL`;
    if (Number(n) === 0) throw new AppError("NOT_FOUND", "no active licence with this id");
  });
}
