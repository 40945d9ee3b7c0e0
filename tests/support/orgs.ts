import { sql } from "@proofgrid/db/sql-client";

/** A provider organisation with stake funds and, optionally, a checker licence. */
export async function providerOrg(slug: string, opts: { licence?: boolean } = {}): Promise<string> {
  const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
  const { grantCheckerLicence } = await import("../../apps/web/src/server/services/verification/licences.ts");
  const { ensureOrgAccounts } = await import("../../apps/web/src/server/services/billing/org-accounts.ts");
  const rows = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), ${slug}, ${slug}, 'provider') RETURNING id`;
  const id = rows[0]?.id as string;
  await ensureOrgAccounts(sql(), id);
  await grantCredits({ orgId: id, amount: 50_000_000_000n, idempotencyKey: `funds:${slug}`, memo: "test stake funds" });
  if (opts.licence !== false) await grantCheckerLicence({ orgSlug: slug });
  return id;
}

/** A customer organisation with credits and an API key that may submit and read jobs. */
export async function customerOrg(slug: string, opts: { tokens?: bigint; region?: string } = {}): Promise<{ id: string; key: string }> {
  const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
  const { ensureOrgAccounts } = await import("../../apps/web/src/server/services/billing/org-accounts.ts");
  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  const rows = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, name, slug, kind, region) VALUES (gen_random_uuid(), ${slug}, ${slug}, 'customer', ${opts.region ?? null}) RETURNING id`;
  const id = rows[0]?.id as string;
  await ensureOrgAccounts(sql(), id);
  await grantCredits({ orgId: id, amount: (opts.tokens ?? 1_000n) * 1_000_000n, idempotencyKey: `funds:${slug}`, memo: "test credits" });
  const { key } = await createApiKey({ orgId: id, name: "test", scopes: ["jobs:read", "jobs:write"] });
  return { id, key };
}
