import type { Db } from "../db-types.ts";
import { queryFragment, type SqlFragment, sqlFragment } from "../sql-fragment.ts";
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
  /** More CTEs for the transfer's statement, after its own (they may read `t`, the transfer's
   * row, and `known`): writes that belong with the transfer, in its round trip. */
  also?: SqlFragment;
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
  const p = prepareTransfer(opts);
  const also = opts.also
    ? sqlFragment`,
      ${opts.also}`
    : sqlFragment``;
  let rows: { id: string | null; locked: number }[];
  try {
    rows = await queryFragment<{ id: string | null; locked: number }[]>(
      db,
      sqlFragment`
      WITH t AS (
        INSERT INTO ledger_transfers (id, idempotency_key, kind, job_id, memo)
        VALUES (gen_random_uuid(), ${opts.idempotencyKey}, ${opts.kind}, ${opts.jobId ?? null}::uuid, ${opts.memo ?? null})
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id),
      ${transferMoves(p)}${also}
      SELECT ${TRANSFER_OUTCOME}`,
    );
  } catch (err) {
    throw transferError(err, p);
  }
  const transferId = rows[0]?.id;
  if (!transferId) {
    const existing = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM ledger_transfers WHERE idempotency_key = ${opts.idempotencyKey}`;
    const id = existing[0]?.id;
    if (!id) throw new Error(`transfer ${opts.idempotencyKey} vanished`);
    return opts.deferBalances ? { transferId: id, created: false, deferred: new Map() } : { transferId: id, created: false };
  }
  if ((rows[0]?.locked ?? 0) !== p.codes.length) throw await unknownAccount(db, p.codes);
  if (!opts.deferBalances) return { transferId, created: true };
  return { transferId, created: true, deferred: new Map(p.defer.map((c) => [c, p.byCode.get(c) ?? 0n])) };
}

/** A transfer's legs checked and summed by account: what its statement posts. */
export interface PreparedTransfer {
  legs: readonly TransferLeg[];
  /** The accounts it moves, sorted (the order every transfer locks them in). */
  codes: string[];
  byCode: Map<string, bigint>;
  defer: string[];
}

/** Checks the legs (count, amounts, balance): a bad transfer throws before any SQL runs. */
export function prepareTransfer(opts: Pick<PostTransferOptions, "idempotencyKey" | "legs" | "deferBalances">): PreparedTransfer {
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
  const codes = [...byCode.keys()].sort();
  const defer = (opts.deferBalances ?? []).filter((c) => byCode.has(c));
  return { legs, codes, byCode, defer };
}

/**
 * The CTEs that post a prepared transfer once a CTE `t` has inserted its ledger_transfers row
 * (RETURNING id; no row: already posted, nothing moves): lock its accounts by code, move
 * their balances (all or none: only when every account exists), write its entries.
 * Followed by `SELECT ${TRANSFER_OUTCOME}`.
 */
export function transferMoves(p: PreparedTransfer): SqlFragment {
  const { codes, byCode, defer, legs } = p;
  return sqlFragment`
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
        RETURNING 1)`;
}

/** The columns a transfer's statement answers: the transfer's id (null: already posted) and how many of its accounts it found. */
export const TRANSFER_OUTCOME = sqlFragment`(SELECT id FROM t) AS id, (SELECT count(*) FROM accounts)::int AS locked,
             (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM entries)::int AS entries`;

/** A transfer's statement failed: an overdraft (the balance CHECK) is `insufficient_funds`. */
export function transferError(err: unknown, p: PreparedTransfer): unknown {
  if (!isCheckViolation(err)) return err;
  const overdrawn = p.codes.find((c) => (p.byCode.get(c) ?? 0n) < 0n) ?? "?";
  return new LedgerError("insufficient_funds", `insufficient funds in ${overdrawn}`, overdrawn);
}

/** The `unknown_account` error for the first of `codes` that has no account. */
export async function unknownAccount(db: Db, codes: readonly string[]): Promise<LedgerError> {
  const known = new Set(
    (await db.$queryRaw<{ code: string }[]>`SELECT code FROM ledger_accounts WHERE code = ANY(${[...codes]}::text[])`).map((a) => a.code),
  );
  const missing = codes.find((c) => !known.has(c)) ?? "?";
  return new LedgerError("unknown_account", `unknown ledger account ${missing}`, missing);
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

/**
 * The transfer posted under `idempotencyKey`, and whether it moved any of `codes`; null when
 * there is none. (A key's meaning can be narrower than the table's uniqueness: an admin grant's
 * key is the organisation's own, and a grant posted before keys were scoped is found this way.)
 */
export async function findTransferMoving(
  db: Db,
  opts: { idempotencyKey: string; codes: readonly string[] },
): Promise<{ id: string; moves: boolean } | null> {
  const rows = await db.$queryRaw<{ id: string; moves: boolean }[]>`
    SELECT t.id, EXISTS (
      SELECT 1 FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
      WHERE e.transfer_id = t.id AND a.code = ANY(${opts.codes}::text[])) AS moves
    FROM ledger_transfers t WHERE t.idempotency_key = ${opts.idempotencyKey}`;
  return rows[0] ?? null;
}
