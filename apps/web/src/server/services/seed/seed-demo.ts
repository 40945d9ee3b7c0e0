import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApiKey } from "../../auth/api-keys.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { ensureOrgAccounts, ensureSystemAccounts } from "../billing/org-accounts.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { syncBuiltinCatalog } from "../models/sync-catalog.ts";
import { createRegistrationToken } from "../nodes/create-registration-token.ts";
import { grantCheckerLicence } from "../verification/licences.ts";
import { requiredStake, stakeNode } from "../verification/stake.ts";

export const DEMO_CREDITS = 1_000n * 1_000_000n; // 1,000 tokens
/** Enough for a few nodes' minimum stakes (a reference-speed worker stakes ~2,300 tokens). */
export const DEMO_PROVIDER_FUNDS = 50_000n * 1_000_000n;

export interface DemoSeed {
  customerOrgId: string;
  providerOrgId: string;
  /** A second provider that runs the demo checker (a checker never checks its own provider). */
  checkerOrgId: string;
  /** The demo key is kept in the data directory (0600) so every start can print it. */
  apiKey: string;
  models: { slug: string; id: string }[];
}

/** Idempotent: a demo startup with credits and an API key, a demo provider, the catalog. */
export async function seedDemo(): Promise<DemoSeed> {
  const models = await syncBuiltinCatalog();
  await ensureSystemAccounts(db());
  const customer = await db().organization.upsert({
    where: { slug: "demo-startup" },
    create: { slug: "demo-startup", name: "Demo Startup", kind: "customer", region: "local" },
    update: {},
    select: { id: true },
  });
  const provider = await db().organization.upsert({
    where: { slug: "demo-provider" },
    create: { slug: "demo-provider", name: "Demo GPU Provider", kind: "provider", region: "local" },
    update: {},
    select: { id: true },
  });
  const checkers = await db().organization.upsert({
    where: { slug: "demo-checkers" },
    create: { slug: "demo-checkers", name: "Demo Checker Operator", kind: "provider", region: "local" },
    update: {},
    select: { id: true },
  });
  await ensureOrgAccounts(db(), customer.id);
  await ensureOrgAccounts(db(), provider.id);
  await ensureOrgAccounts(db(), checkers.id);
  await grantCredits({ orgId: customer.id, amount: DEMO_CREDITS, idempotencyKey: "seed:demo-credits", memo: "demo credits" });
  // Providers stake their nodes from their own tokens; the demo ones start with some.
  await grantCredits({
    orgId: provider.id,
    amount: DEMO_PROVIDER_FUNDS,
    idempotencyKey: "seed:demo-provider-funds",
    memo: "demo stake funds",
  });
  await grantCredits({
    orgId: checkers.id,
    amount: DEMO_PROVIDER_FUNDS,
    idempotencyKey: "seed:demo-checker-funds",
    memo: "demo stake funds",
  });
  const licences = await db().checkerLicence.count({ where: { orgId: checkers.id } });
  if (licences === 0) await grantCheckerLicence({ orgSlug: "demo-checkers", note: "demo checker" });

  const keyFile = join(getEnv().PROOFGRID_DATA_DIR, "demo-api-key");
  let apiKey = existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : "";
  const known = apiKey
    ? await db().apiKey.count({ where: { orgId: customer.id, prefix: apiKey.split("_").slice(0, 2).join("_"), revokedAt: null } })
    : 0;
  if (!known) {
    apiKey = (await createApiKey({ orgId: customer.id, name: "demo key", scopes: [...API_SCOPES] })).key;
    writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
  }
  return { customerOrgId: customer.id, providerOrgId: provider.id, checkerOrgId: checkers.id, apiKey, models };
}

export async function demoRegistrationToken(
  providerOrgId: string,
  platformUrl: string,
  role: "worker" | "checker" = "worker",
): Promise<string> {
  return (await createRegistrationToken({ orgId: providerOrgId, platformUrl, role })).token;
}

/** Bonds the minimum stake for a node's claimed capability from its provider's tokens
 * (what a provider does in the portal before its node can take work). Idempotent. */
export async function stakeMinimumFor(nodeId: string): Promise<bigint> {
  const node = await db().node.findUniqueOrThrow({ where: { id: nodeId }, select: { orgId: true, claimedCuPerHour: true } });
  const amount = requiredStake(node.claimedCuPerHour);
  await stakeNode({ orgId: node.orgId, nodeId, amount, idempotencyKey: `minimum:${nodeId}` });
  return amount;
}
