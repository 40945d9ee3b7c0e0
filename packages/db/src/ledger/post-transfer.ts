import type { Db } from "../db-types.ts";
import { LedgerError } from "./ledger-error.ts";

export interface TransferLeg {
  /** Account code (see accounts.ts). */
  code: string;
  /** Signed base units: negative debits, positive credits. */
  amount: bigint;
}

export interface PostTransferOptions {
  /** Makes retries safe: a second post with the same key changes nothing. */
  idempotencyKey: string;
  kind: string;
  jobId?: string | null;
  memo?: string | null;
  legs: readonly TransferLeg[];
}

export interface PostTransferResult {
  transferId: string;
  /** False when the key had already been posted (the earlier transfer is returned). */
  created: boolean;
}

// A transfer touches at most a handful of accounts (settlement: held, earnings, checker
// pool, protocol fee). The bound catches a caller bug before it becomes a huge statement.
const MAX_LEGS = 16;
const MAX_ABS_AMOUNT = 10n ** 18n; // far above any real balance, far below bigint's 9.2e18

/**
 * Posts one balanced transfer inside the caller's transaction. Balances are kept in the
 * same transaction as the entries; the table's CHECK (balance >= 0 unless allow_negative)
 * turns an overdraft into `insufficient_funds`, which aborts the caller's transaction.
 * Must run inside a transaction (the balance updates and the entries commit together).
 */
export async function postTransfer(db: Db, opts: PostTransferOptions): Promise<PostTransferResult> {
  const { legs } = opts;
  if (legs.length < 2 || legs.length > MAX_LEGS) {
    throw new LedgerError("unbalanced", `a transfer needs 2..${MAX_LEGS} legs, got ${legs.length}`);
  }
  let sum = 0n;
  const byCode = new Map<string, bigint>();
  for (const leg of legs) {
    if (typeof leg.amount !== "bigint" || leg.amount === 0n || leg.amount > MAX_ABS_AMOUNT || leg.amount < -MAX_ABS_AMOUNT) {
      throw new LedgerError("invalid_amount", `invalid amount ${String(leg.amount)} for ${leg.code}`, leg.code);
    }
    sum += leg.amount;
    byCode.set(leg.code, (byCode.get(leg.code) ?? 0n) + leg.amount);
  }
  if (sum !== 0n) throw new LedgerError("unbalanced", `transfer ${opts.idempotencyKey} sums to ${sum}, not 0`);

  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO ledger_transfers (id, idempotency_key, kind, job_id, memo)
    VALUES (gen_random_uuid(), ${opts.idempotencyKey}, ${opts.kind}, ${opts.jobId ?? null}::uuid, ${opts.memo ?? null})
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id`;
  const transferId = inserted[0]?.id;
  if (!transferId) {
    const existing = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM ledger_transfers WHERE idempotency_key = ${opts.idempotencyKey}`;
    const id = existing[0]?.id;
    if (!id) throw new Error(`transfer ${opts.idempotencyKey} vanished`);
    return { transferId: id, created: false };
  }

  // Four statements whatever the number of legs (settlement has four): lock the accounts
  // in a fixed order (by code, so concurrent transfers cannot deadlock), move the
  // balances in one UPDATE, write the entries in one INSERT.
  const codes = [...byCode.keys()].sort();
  const locked = await db.$queryRaw<{ id: string; code: string }[]>`
    SELECT id, code FROM ledger_accounts WHERE code = ANY(${codes}::text[]) ORDER BY code FOR UPDATE`;
  if (locked.length !== codes.length) {
    const known = new Set(locked.map((a) => a.code));
    const missing = codes.find((c) => !known.has(c)) ?? "?";
    throw new LedgerError("unknown_account", `unknown ledger account ${missing}`, missing);
  }
  try {
    await db.$executeRaw`
      UPDATE ledger_accounts a SET balance = a.balance + d.amount
      FROM unnest(${codes}::text[], ${codes.map((c) => (byCode.get(c) ?? 0n).toString())}::bigint[]) AS d(code, amount)
      WHERE a.code = d.code`;
  } catch (err) {
    if (isCheckViolation(err)) {
      const overdrawn = codes.find((c) => (byCode.get(c) ?? 0n) < 0n) ?? "?";
      throw new LedgerError("insufficient_funds", `insufficient funds in ${overdrawn}`, overdrawn);
    }
    throw err;
  }
  await db.$executeRaw`
    INSERT INTO ledger_entries (transfer_id, account_id, amount)
    SELECT ${transferId}::uuid, a.id, l.amount
    FROM unnest(${legs.map((l) => l.code)}::text[], ${legs.map((l) => l.amount.toString())}::bigint[]) WITH ORDINALITY AS l(code, amount, n)
    JOIN ledger_accounts a ON a.code = l.code
    ORDER BY l.n`;
  return { transferId, created: true };
}

function isCheckViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${JSON.stringify(err)}` : String(err);
  return text.includes("23514") || text.includes("check constraint");
}
