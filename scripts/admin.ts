/**
 * Platform administration from a shell with database access (`DATABASE_URL`, or the
 * embedded database of `npm start` in .data/ while it runs):
 *   npm run admin -- grant --org demo-startup --tokens 250 --key support-ticket-812
 *   npm run admin -- ledger-check
 *   npm run admin -- grant-licence --org demo-checkers        (a checker licence, limited)
 *   npm run admin -- revoke-licence --id <licence id>
 *   npm run admin -- lift-quarantine --node <node id>         (after reviewing a fraud case)
 *   npm run admin -- make-admin --email ops@example.com       (the web's /admin pages)
 *   npm run admin -- set-rate-limit --org demo-startup --per-minute 600   (per API key; "default" resets)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { ROOT } from "./lib/processes.ts";

function databaseUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  try {
    const port = readFileSync(join(ROOT, ".data/pg/postmaster.pid"), "utf8").split("\n")[3]?.trim();
    if (port) return `postgres://postgres:postgres@localhost:${port}/proofgrid`;
  } catch {
    // fall through
  }
  throw new Error("set DATABASE_URL, or run this while `npm start` is running");
}

/** The local chain of a running `npm start` (its .data/chain), unless CHAIN_RPC_URL names one. */
function useLocalChainIfRunning(): void {
  if (process.env.CHAIN_RPC_URL) return;
  try {
    const state = JSON.parse(readFileSync(join(process.env.PROOFGRID_DATA_DIR ?? join(ROOT, ".data"), "chain/chain.json"), "utf8")) as {
      chainId: number;
      tokenAddress: string;
    };
    process.env.CHAIN_RPC_URL = `http://127.0.0.1:${process.env.CHAIN_PORT ?? 8545}`;
    process.env.CHAIN_ID = String(state.chainId);
    process.env.TOKEN_ADDRESS = state.tokenAddress;
  } catch {
    // no local chain: the payout check says so if any withdrawal was ever signed
  }
}

const program = new Command().name("admin");

program
  .command("grant")
  .description("grant tokens from the treasury to an organisation (idempotent per --key)")
  .requiredOption("--org <slug>", "organisation slug")
  .requiredOption("--tokens <n>", "whole or fractional tokens, e.g. 250 or 0.5")
  .requiredOption("--key <idempotency-key>", "the same key never grants twice")
  .option("--memo <text>", "why")
  .action(async (o: { org: string; tokens: string; key: string; memo?: string }) => {
    process.env.DATABASE_URL = databaseUrl();
    const { parseTokens } = await import("../apps/web/src/server/services/billing/get-balance.ts");
    const amount = parseTokens(o.tokens);
    if (amount === null) throw new Error("--tokens must be a positive number with at most 6 decimals");
    const { db } = await import("../apps/web/src/server/db.ts");
    const org = await db().organization.findUnique({ where: { slug: o.org }, select: { id: true } });
    if (!org) throw new Error(`no organisation '${o.org}'`);
    const { grantCredits } = await import("../apps/web/src/server/services/billing/grant-credits.ts");
    const r = await grantCredits({ orgId: org.id, amount, idempotencyKey: o.key, memo: o.memo });
    console.log(JSON.stringify({ granted: r.created, transferId: r.transferId, baseUnits: amount.toString() }));
  });

program
  .command("ledger-check")
  .description(
    "recompute every balance, check every transfer sums to zero and no account is negative, and match the ledger's paid withdrawals to the payout wallet's transfers on chain (CHAIN_RPC_URL, TOKEN_ADDRESS)",
  )
  .action(async () => {
    process.env.DATABASE_URL = databaseUrl();
    useLocalChainIfRunning();
    const { db } = await import("../apps/web/src/server/db.ts");
    const { checkLedger } = await import("@proofgrid/db/ledger");
    const { checkPayouts } = await import("../apps/web/src/server/services/payouts/check-payouts.ts");
    const ledger = await checkLedger(db());
    const payouts = await checkPayouts();
    const r = { ...ledger, ok: ledger.ok && payouts.ok, payouts };
    console.log(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    if (!r.ok) process.exitCode = 1;
  });

program
  .command("grant-licence")
  .description("grant a provider one checker licence (CHECKER_LICENCE_LIMIT in all)")
  .requiredOption("--org <slug>", "provider organisation slug")
  .option("--note <text>", "why")
  .action(async (o: { org: string; note?: string }) => {
    process.env.DATABASE_URL = databaseUrl();
    const { grantCheckerLicence } = await import("../apps/web/src/server/services/verification/licences.ts");
    console.log(JSON.stringify(await grantCheckerLicence({ orgSlug: o.org, note: o.note })));
  });

program
  .command("revoke-licence")
  .description("revoke a checker licence: its checker can no longer lease checks")
  .requiredOption("--id <uuid>", "licence id")
  .action(async (o: { id: string }) => {
    process.env.DATABASE_URL = databaseUrl();
    const { revokeCheckerLicence } = await import("../apps/web/src/server/services/verification/licences.ts");
    await revokeCheckerLicence(o.id);
    console.log(JSON.stringify({ revoked: o.id }));
  });

program
  .command("make-admin")
  .description("make a signed-up user a platform administrator (the web's /admin)")
  .requiredOption("--email <address>", "the user's email")
  .action(async (o: { email: string }) => {
    process.env.DATABASE_URL = databaseUrl();
    const { db } = await import("../apps/web/src/server/db.ts");
    const r = await db().user.updateMany({ where: { email: o.email.toLowerCase() }, data: { isAdmin: true } });
    if (r.count === 0) throw new Error(`no user '${o.email}': sign up first`);
    console.log(JSON.stringify({ admin: o.email.toLowerCase() }));
  });

program
  .command("set-rate-limit")
  .description("requests per minute each of an organisation's API keys may make (default: API_KEY_REQUESTS_PER_MINUTE)")
  .requiredOption("--org <slug>", "organisation slug")
  .requiredOption("--per-minute <n>", "a whole number from 1 to 10 000 000, or 'default'")
  .action(async (o: { org: string; perMinute: string }) => {
    process.env.DATABASE_URL = databaseUrl();
    const perMinute = o.perMinute === "default" ? null : /^[0-9]{1,8}$/.test(o.perMinute) ? Number(o.perMinute) : Number.NaN;
    const { setOrgApiRateLimit } = await import("../apps/web/src/server/http/api-rate-limit.ts");
    console.log(JSON.stringify(await setOrgApiRateLimit(o.org, perMinute)));
  });

program
  .command("lift-quarantine")
  .description("return a quarantined node to service after review (its verdict history stays)")
  .requiredOption("--node <uuid>", "node id")
  .action(async (o: { node: string }) => {
    process.env.DATABASE_URL = databaseUrl();
    const { liftQuarantine } = await import("../apps/web/src/server/services/admin/admin.ts");
    console.log(JSON.stringify(await liftQuarantine(o.node)));
  });

program
  .parseAsync()
  .then(async () => {
    const { disconnectPrisma } = await import("@proofgrid/db/client");
    const { closePgPool } = await import("@proofgrid/db/sql-client");
    await disconnectPrisma();
    await closePgPool();
  })
  .catch((err: unknown) => {
    console.error(`admin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
