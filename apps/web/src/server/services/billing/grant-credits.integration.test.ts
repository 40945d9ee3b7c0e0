import { checkLedger, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { describe, expect, it } from "vitest";
import { orgBalances } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { grantCredits } from "./grant-credits.ts";
import { ensureOrgAccounts } from "./org-accounts.ts";

// An admin grant's idempotency key is the organisation's own. Every new organisation's
// dashboard shows `npm run admin -- grant --org <its slug> --tokens 100 --key first-credits`:
// with keys global, the second organisation to run it was answered with the first one's
// grant ("granted": false) and got nothing (found by running the newcomer's path twice on one
// `npm start`).

setupServiceDatabase({ name: "grants" });

describe("grantCredits", () => {
  it("grants each organisation under the same key once", async () => {
    const a = await createOrg("grant-a", "customer");
    const b = await createOrg("grant-b", "customer");
    const first = await grantCredits({ orgId: a, amount: 100n, idempotencyKey: "first-credits" });
    const second = await grantCredits({ orgId: b, amount: 100n, idempotencyKey: "first-credits" });
    expect(first.created).toBe(true);
    expect(second.created).toBe(true);
    expect(second.transferId).not.toBe(first.transferId);
    // Each one's retry grants nothing more.
    expect(await grantCredits({ orgId: a, amount: 100n, idempotencyKey: "first-credits" })).toEqual({
      transferId: first.transferId,
      created: false,
    });
    expect((await grantCredits({ orgId: b, amount: 100n, idempotencyKey: "first-credits" })).created).toBe(false);
    expect((await orgBalances(a)).available).toBe(100n);
    expect((await orgBalances(b)).available).toBe(100n);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("a grant posted under the old, global key is still that organisation's grant: its retry does not pay twice", async () => {
    const old = await createOrg("grant-old", "customer");
    const other = await createOrg("grant-other", "customer");
    await sqlTransaction(async (tx) => {
      await ensureOrgAccounts(tx, old);
      // As grantCredits posted it before keys were scoped by organisation.
      await postTransfer(tx, {
        idempotencyKey: "grant:ticket-812",
        kind: "grant",
        legs: [
          { code: SYSTEM_ACCOUNTS.treasury.code, amount: -250n },
          { code: orgAccountCode(old, "available"), amount: 250n },
        ],
      });
    });
    expect((await grantCredits({ orgId: old, amount: 250n, idempotencyKey: "ticket-812" })).created).toBe(false);
    expect((await orgBalances(old)).available).toBe(250n);
    // Another organisation's grant under that key is its own.
    expect((await grantCredits({ orgId: other, amount: 250n, idempotencyKey: "ticket-812" })).created).toBe(true);
    expect((await orgBalances(other)).available).toBe(250n);
    expect((await checkLedger(sql())).ok).toBe(true);
  });
});
