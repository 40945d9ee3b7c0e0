import type { Db } from "../db-types.ts";
import { orgAccountCode } from "./accounts.ts";
import { type PostTransferResult, postTransfer, type TransferLeg } from "./post-transfer.ts";

// Money that leaves an organisation against its will (a refunded or disputed card payment
// whose tokens it already spent) never drives its balance below zero: what its available
// credits cannot cover is recorded on its `org:<id>:debt` account (≤ 0), and every later
// credit repays that first. The two accounts are locked together, in code order (the order
// postTransfer locks in), so these transfers cannot deadlock with any other.

export interface OrgPosition {
  available: bigint;
  /** What the organisation owes, as a positive number (0: nothing). */
  owed: bigint;
}

/** Locks the organisation's available and debt accounts (FOR UPDATE) and reads them. */
export async function lockOrgPosition(db: Db, orgId: string): Promise<OrgPosition> {
  const available = orgAccountCode(orgId, "available");
  const debt = orgAccountCode(orgId, "debt");
  const rows = await db.$queryRaw<{ code: string; balance: bigint | string }[]>`
    SELECT code, balance FROM ledger_accounts WHERE code = ANY(${[available, debt].sort()}::text[]) ORDER BY code FOR UPDATE`;
  const get = (code: string) => BigInt(rows.find((r) => r.code === code)?.balance ?? 0);
  return { available: get(available), owed: -get(debt) };
}

export interface CreditOrgOptions {
  orgId: string;
  /** The account the tokens come from (stripe_clearing, treasury). */
  source: string;
  amount: bigint;
  idempotencyKey: string;
  kind: string;
  memo?: string | null;
}

/**
 * Credits `amount` to the organisation from `source` in one transfer, repaying its debt
 * first: the debt account gets min(owed, amount), available credits the rest. Inside the
 * caller's transaction. A second call with the same key changes nothing.
 */
export async function creditOrgRepayingDebt(db: Db, opts: CreditOrgOptions): Promise<PostTransferResult & { repaid: bigint }> {
  if (opts.amount <= 0n) throw new RangeError(`credit of ${opts.amount} is not positive`);
  const { owed } = await lockOrgPosition(db, opts.orgId);
  const repaid = owed < opts.amount ? owed : opts.amount;
  const legs: TransferLeg[] = [{ code: opts.source, amount: -opts.amount }];
  if (repaid > 0n) legs.push({ code: orgAccountCode(opts.orgId, "debt"), amount: repaid });
  if (opts.amount - repaid > 0n) legs.push({ code: orgAccountCode(opts.orgId, "available"), amount: opts.amount - repaid });
  const res = await postTransfer(db, { idempotencyKey: opts.idempotencyKey, kind: opts.kind, memo: opts.memo ?? null, legs });
  return { ...res, repaid: res.created ? repaid : 0n };
}

export interface TakeBackOptions {
  orgId: string;
  /** Where the tokens go back to (stripe_clearing). */
  sink: string;
  amount: bigint;
  idempotencyKey: string;
  kind: string;
  memo?: string | null;
}

/**
 * Takes `amount` back from the organisation into `sink` in one transfer: from its available
 * credits as far as they go, the rest onto its debt. Never leaves available below zero.
 */
export async function takeBackFromOrg(
  db: Db,
  opts: TakeBackOptions,
): Promise<PostTransferResult & { fromBalance: bigint; toDebt: bigint }> {
  if (opts.amount <= 0n) throw new RangeError(`take-back of ${opts.amount} is not positive`);
  const { available } = await lockOrgPosition(db, opts.orgId);
  const fromBalance = available < opts.amount ? (available > 0n ? available : 0n) : opts.amount;
  const toDebt = opts.amount - fromBalance;
  const legs: TransferLeg[] = [{ code: opts.sink, amount: opts.amount }];
  if (fromBalance > 0n) legs.push({ code: orgAccountCode(opts.orgId, "available"), amount: -fromBalance });
  if (toDebt > 0n) legs.push({ code: orgAccountCode(opts.orgId, "debt"), amount: -toDebt });
  const res = await postTransfer(db, { idempotencyKey: opts.idempotencyKey, kind: opts.kind, memo: opts.memo ?? null, legs });
  return { ...res, fromBalance, toDebt };
}

/**
 * Pays the organisation's debt from its available credits, as far as they go (credits that
 * came back to it after the debt arose, e.g. a released hold). Returns what was repaid.
 */
export async function repayDebtFromBalance(
  db: Db,
  opts: { orgId: string; idempotencyKey: string },
): Promise<{ repaid: bigint; owed: bigint }> {
  const { available, owed } = await lockOrgPosition(db, opts.orgId);
  const repaid = owed < available ? owed : available;
  if (repaid <= 0n) return { repaid: 0n, owed };
  await postTransfer(db, {
    idempotencyKey: opts.idempotencyKey,
    kind: "debt_repayment",
    legs: [
      { code: orgAccountCode(opts.orgId, "available"), amount: -repaid },
      { code: orgAccountCode(opts.orgId, "debt"), amount: repaid },
    ],
  });
  return { repaid, owed: owed - repaid };
}
