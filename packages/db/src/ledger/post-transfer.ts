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
  /**
   * Accounts whose balance this post does not move (their entries are written): the caller
   * moves it for many transfers at once with `applyDeferredBalances` before its transaction
   * commits, so a hot account (the checker pool, the protocol fee) is locked once per group
   * commit, briefly, instead of once per settlement for the whole of each transaction.
   */
  deferBalances?: readonly string[];
}

export interface PostTransferResult {
  transferId: string;
  /** False when the key had already been posted (the earlier transfer is returned). */
  created: boolean;
  /** With `deferBalances`: the moves left to the caller, by code (none unless `created`). */
  deferred?: Map<string, bigint>;
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

  // One statement whatever the number of legs (settlement has four): record the transfer
  // under its idempotency key, lock the accounts in a fixed order (by code, so concurrent
  // transfers cannot deadlock), move the balances, write the entries. Nothing moves when the
  // key was posted before or an account is unknown. Every job pays this twice (its hold,
  // its settlement): one round trip each instead of four.
  const codes = [...byCode.keys()].sort();
  const defer = (opts.deferBalances ?? []).filter((c) => byCode.has(c));
  let rows: { id: string | null; locked: number }[];
  try {
    rows = await db.$queryRaw<{ id: string | null; locked: number }[]>`
      WITH t AS (
        INSERT INTO ledger_transfers (id, idempotency_key, kind, job_id, memo)
        VALUES (gen_random_uuid(), ${opts.idempotencyKey}, ${opts.kind}, ${opts.jobId ?? null}::uuid, ${opts.memo ?? null})
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id),
      locked AS (
        SELECT a.id, a.code FROM ledger_accounts a
        WHERE a.code = ANY(${codes}::text[]) AND a.code <> ALL(${defer}::text[]) AND EXISTS (SELECT 1 FROM t)
        ORDER BY a.code FOR UPDATE),
      left_over AS (
        SELECT a.id, a.code FROM ledger_accounts a
        WHERE a.code = ANY(${defer}::text[]) AND EXISTS (SELECT 1 FROM t)),
      accounts AS (SELECT id, code FROM locked UNION ALL SELECT id, code FROM left_over),
      known AS (SELECT count(*) = ${codes.length} AS all FROM accounts),
      moved AS (
        UPDATE ledger_accounts a SET balance = a.balance + d.amount
        FROM unnest(${codes}::text[], ${codes.map((c) => (byCode.get(c) ?? 0n).toString())}::bigint[]) AS d(code, amount)
        WHERE a.code = d.code AND a.id IN (SELECT id FROM locked) AND (SELECT "all" FROM known)
        RETURNING a.id),
      entries AS (
        INSERT INTO ledger_entries (transfer_id, account_id, amount)
        SELECT t.id, l.id, x.amount
        FROM t, unnest(${legs.map((l) => l.code)}::text[], ${legs.map((l) => l.amount.toString())}::bigint[]) WITH ORDINALITY AS x(code, amount, n)
        JOIN accounts l ON l.code = x.code
        WHERE (SELECT "all" FROM known)
        ORDER BY x.n
        RETURNING 1)
      SELECT (SELECT id FROM t) AS id, (SELECT count(*) FROM accounts)::int AS locked,
             (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM entries)::int AS entries`;
  } catch (err) {
    if (isCheckViolation(err)) {
      const overdrawn = codes.find((c) => (byCode.get(c) ?? 0n) < 0n) ?? "?";
      throw new LedgerError("insufficient_funds", `insufficient funds in ${overdrawn}`, overdrawn);
    }
    throw err;
  }
  const transferId = rows[0]?.id;
  if (!transferId) {
    const existing = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM ledger_transfers WHERE idempotency_key = ${opts.idempotencyKey}`;
    const id = existing[0]?.id;
    if (!id) throw new Error(`transfer ${opts.idempotencyKey} vanished`);
    return opts.deferBalances ? { transferId: id, created: false, deferred: new Map() } : { transferId: id, created: false };
  }
  if ((rows[0]?.locked ?? 0) !== codes.length) {
    const known = new Set(
      (await db.$queryRaw<{ code: string }[]>`SELECT code FROM ledger_accounts WHERE code = ANY(${codes}::text[])`).map((a) => a.code),
    );
    const missing = codes.find((c) => !known.has(c)) ?? "?";
    throw new LedgerError("unknown_account", `unknown ledger account ${missing}`, missing);
  }
  if (!opts.deferBalances) return { transferId, created: true };
  return { transferId, created: true, deferred: new Map(defer.map((c) => [c, byCode.get(c) ?? 0n])) };
}

/** Locks these accounts (FOR UPDATE, by code: the order every transfer takes them in). */
export async function lockAccounts(db: Db, codes: readonly string[]): Promise<void> {
  const sorted = [...new Set(codes)].sort();
  if (sorted.length === 0) return;
  await db.$queryRaw`SELECT 1 FROM ledger_accounts WHERE code = ANY(${sorted}::text[]) ORDER BY code FOR UPDATE`;
}

/**
 * Moves the balances that posts with `deferBalances` left (summed by code), in one statement
 * that locks the accounts by code. Must run in the posts' transaction, before it commits:
 * until then those accounts' stored balances lag their entries. An overdraft is
 * `insufficient_funds`, as in `postTransfer`.
 */
export async function applyDeferredBalances(db: Db, deltas: ReadonlyMap<string, bigint>): Promise<void> {
  const codes = [...deltas.keys()].filter((c) => (deltas.get(c) ?? 0n) !== 0n).sort();
  if (codes.length === 0) return;
  try {
    const rows = await db.$queryRaw<{ moved: number }[]>`
      WITH locked AS (SELECT id, code FROM ledger_accounts WHERE code = ANY(${codes}::text[]) ORDER BY code FOR UPDATE),
      moved AS (
        UPDATE ledger_accounts a SET balance = a.balance + d.amount
        FROM unnest(${codes}::text[], ${codes.map((c) => (deltas.get(c) ?? 0n).toString())}::bigint[]) AS d(code, amount)
        WHERE a.code = d.code AND a.id IN (SELECT id FROM locked)
        RETURNING a.id)
      SELECT count(*)::int AS moved FROM moved`;
    if ((rows[0]?.moved ?? 0) !== codes.length)
      throw new LedgerError("unknown_account", `unknown ledger account among ${codes.join(", ")}`);
  } catch (err) {
    if (isCheckViolation(err)) throw new LedgerError("insufficient_funds", `insufficient funds in one of ${codes.join(", ")}`);
    throw err;
  }
}

function isCheckViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${JSON.stringify(err)}` : String(err);
  return text.includes("23514") || text.includes("check constraint");
}
