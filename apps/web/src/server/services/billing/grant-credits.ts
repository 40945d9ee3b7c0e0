import { creditOrgRepayingDebt, findTransferMoving, orgAccountCode, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { z } from "zod";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { ensureOrgAccounts, ensureSystemAccounts } from "./org-accounts.ts";

export const ZGrantCreditsRequest = z.object({
  orgId: z.uuid(),
  /** Base units; at most 10^15 (a billion tokens) per grant. */
  amount: z.coerce
    .bigint()
    .positive()
    .max(10n ** 15n),
  /** Retrying a grant with the same key grants once. The key is the organisation's own: the
   * same key for another organisation is another grant. */
  idempotencyKey: z.string().min(1).max(200),
  memo: z.string().max(500).optional(),
});
export type TGrantCreditsRequest = z.infer<typeof ZGrantCreditsRequest>;

/** An admin grant: tokens from the treasury to an organisation's available credits (paying
 * what it owes after a card refund or dispute first, as every credit does). */
export async function grantCredits(req: TGrantCreditsRequest): Promise<{ transferId: string; created: boolean }> {
  const input = ZGrantCreditsRequest.parse(req);
  return sqlTransaction(async (tx) => {
    await ensureSystemAccounts(tx);
    await ensureOrgAccounts(tx, input.orgId);
    // Keys were once global (`grant:<key>`): every new organisation's dashboard shows the
    // command with `--key first-credits`, and the second organisation to run it was answered
    // with the first one's grant and given nothing. A grant of that form that credited this
    // organisation is still this grant, so a retry from before the change does not pay twice.
    const legacy = await findTransferMoving(tx, {
      idempotencyKey: `grant:${input.idempotencyKey}`,
      codes: [orgAccountCode(input.orgId, "available"), orgAccountCode(input.orgId, "debt")],
    });
    if (legacy?.moves) return { transferId: legacy.id, created: false };
    const { transferId, created } = await creditOrgRepayingDebt(tx, {
      orgId: input.orgId,
      source: SYSTEM_ACCOUNTS.treasury.code,
      amount: input.amount,
      idempotencyKey: `grant:${input.orgId}:${input.idempotencyKey}`,
      kind: "grant",
      memo: input.memo ?? null,
    });
    return { transferId, created };
  });
}
