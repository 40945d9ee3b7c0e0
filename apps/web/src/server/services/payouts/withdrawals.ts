import { LedgerError, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { findPayoutAddress } from "@proofgrid/db/payouts/payout-addresses";
import {
  countOpenWithdrawals,
  insertWithdrawal,
  listOrgWithdrawals,
  loadEarningsBalance,
  loadOrgWithdrawal,
  loadWithdrawalByKey,
  lockOrgForWithdrawal,
  type WithdrawalState,
  type WithdrawalViewRow,
} from "@proofgrid/db/payouts/withdrawals";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { explorerTxUrl } from "@proofgrid/chain";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { formatTokens } from "../billing/get-balance.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { feeFor, getPayoutConfig, requirePayoutChain } from "./payout-config.ts";
import { isUniqueViolation } from "@proofgrid/db/db-errors";

/**
 * A withdrawal moves a provider's available earnings (`org:<id>:earnings`) to
 * `withdrawals_pending` in one ledger transfer, at once, with the withdrawal row in the same
 * transaction; the coordinator's payout loop then pays `net` (the amount less the fee) on
 * chain to the organisation's verified payout address, and settles the ledger:
 *   paid:     withdrawals_pending −amount → withdrawals_paid +net, protocol_fee +fee
 *   returned: withdrawals_pending −amount → org earnings +amount (the fee too: nothing was paid)
 */

export type { WithdrawalState };

export interface WithdrawalView {
  id: string;
  state: WithdrawalState;
  /** Base units, as decimal strings. */
  amount: string;
  fee: string;
  net: string;
  toAddress: string;
  chainId: number;
  txHash: string | null;
  /** `<CHAIN_EXPLORER_URL>/tx/<hash>` when an explorer is configured. */
  explorerUrl: string | null;
  createdAt: Date;
  paidAt: Date | null;
  failedAt: Date | null;
  failureReason: string | null;
}

function view(r: WithdrawalViewRow): WithdrawalView {
  const explorer = getPayoutConfig().chain?.explorerUrl ?? null;
  return {
    id: r.id,
    state: r.state,
    amount: BigInt(r.amount).toString(),
    fee: BigInt(r.fee).toString(),
    net: BigInt(r.net).toString(),
    toAddress: r.to_address,
    chainId: r.chain_id,
    txHash: r.tx_hash,
    explorerUrl: r.tx_hash ? explorerTxUrl(explorer, r.tx_hash) : null,
    createdAt: r.created_at,
    paidAt: r.paid_at,
    failedAt: r.failed_at,
    failureReason: r.failure_reason,
  };
}

const MAX_DIGITS = 19; // bigint range of Postgres' int8; the configured maximum bounds it further

/**
 * An amount of base units from a request: a decimal string or a JSON integer, nothing else.
 * Each kind of bad input gets its own message (1 token = 1 000 000 base units).
 */
export function parseBaseUnits(value: unknown, field = "amount", opts: { allowZero?: boolean } = {}): bigint {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new AppError("BAD_REQUEST", `${field} must be a number of base units`);
    if (!Number.isInteger(value))
      throw new AppError("BAD_REQUEST", `${field} must be a whole number of base units (1 token = 1000000 base units), not ${value}`);
    if (!Number.isSafeInteger(value))
      throw new AppError("BAD_REQUEST", `${field} is too large for a JSON number: send it as a decimal string`);
    if (value < 0 || (value === 0 && !opts.allowZero)) throw new AppError("BAD_REQUEST", `${field} must be positive`);
    return BigInt(value);
  }
  if (typeof value !== "string")
    throw new AppError("BAD_REQUEST", `${field} must be a decimal string of base units (1 token = 1000000), e.g. "25000000"`);
  const t = value.trim();
  if (/^-/.test(t)) throw new AppError("BAD_REQUEST", `${field} must be positive`);
  if (/^[0-9]+\.[0-9]*$/.test(t))
    throw new AppError(
      "BAD_REQUEST",
      `${field} must be a whole number of base units (1 token = 1000000 base units), not ${t.slice(0, 40)}`,
    );
  if (!/^[0-9]+$/.test(t))
    throw new AppError("BAD_REQUEST", `${field} must be a decimal string of base units (1 token = 1000000), e.g. "25000000"`);
  if (t.replace(/^0+/, "").length > MAX_DIGITS) throw new AppError("BAD_REQUEST", `${field} is too large`);
  const v = BigInt(t);
  if (v === 0n && !opts.allowZero) throw new AppError("BAD_REQUEST", `${field} must be positive`);
  return v;
}

function checkAmount(amount: bigint): void {
  const config = getPayoutConfig();
  if (amount < config.minAmount) {
    throw new AppError(
      "BAD_REQUEST",
      `the minimum withdrawal is ${formatTokens(config.minAmount)} tokens (${config.minAmount} base units)`,
      { minimum: config.minAmount.toString() },
    );
  }
  if (amount > config.maxAmount) {
    throw new AppError(
      "BAD_REQUEST",
      `the largest single withdrawal is ${formatTokens(config.maxAmount)} tokens (${config.maxAmount} base units)`,
      { maximum: config.maxAmount.toString() },
    );
  }
}

async function availableEarnings(orgId: string): Promise<bigint> {
  return loadEarningsBalance(sql(), { orgId });
}

export interface WithdrawalQuote {
  /** Whether a chain is configured (else withdrawals answer 503). */
  enabled: boolean;
  /** Base units, as decimal strings. */
  available: string;
  minimum: string;
  maximum: string;
  /** The fee rule: flat plus basis points of the amount. */
  flatFee: string;
  feeBps: number;
  /** For `amount` when one was asked for: the fee and what arrives. */
  amount: string | null;
  fee: string | null;
  net: string | null;
  payoutAddress: string | null;
  confirmations: number;
  chainId: number | null;
  tokenAddress: string | null;
}

/** What a withdrawal of `amount` would cost and pay, before confirming it. */
export async function quoteWithdrawal(opts: { orgId: string; amount?: bigint }): Promise<WithdrawalQuote> {
  const config = getPayoutConfig();
  if (opts.amount !== undefined) checkAmount(opts.amount);
  const [available, address] = await Promise.all([availableEarnings(opts.orgId), findPayoutAddress(sql(), { orgId: opts.orgId })]);
  const fee = opts.amount === undefined ? null : feeFor(opts.amount, config);
  return {
    enabled: config.chain !== null,
    available: available.toString(),
    minimum: config.minAmount.toString(),
    maximum: config.maxAmount.toString(),
    flatFee: config.fee.toString(),
    feeBps: config.feeBps,
    amount: opts.amount?.toString() ?? null,
    fee: fee?.toString() ?? null,
    net: opts.amount === undefined || fee === null ? null : (opts.amount - fee).toString(),
    payoutAddress: address,
    confirmations: config.confirmations,
    chainId: config.chain?.chainId ?? null,
    tokenAddress: config.chain?.tokenAddress ?? null,
  };
}

/**
 * Takes `amount` from the organisation's available earnings into withdrawals_pending and
 * queues its payment to the verified payout address, in one transaction. `expectedFee`, when
 * given, must be the fee the provider was shown (else 409: the fee changed since). The same
 * idempotency key returns the first withdrawal and moves nothing again.
 */
export async function requestWithdrawal(opts: {
  orgId: string;
  userId: string | null;
  amount: bigint;
  expectedFee?: bigint;
  idempotencyKey?: string | null;
}): Promise<{ withdrawal: WithdrawalView; created: boolean }> {
  const config = getPayoutConfig();
  checkAmount(opts.amount);
  const fee = feeFor(opts.amount, config);
  if (opts.expectedFee !== undefined && opts.expectedFee !== fee) {
    throw new AppError(
      "CONFLICT",
      `the fee for this amount is ${formatTokens(fee)} tokens (${fee} base units), not the ${opts.expectedFee} you confirmed: review it and confirm again`,
      { fee: fee.toString() },
    );
  }
  const key = opts.idempotencyKey ?? null;
  if (key !== null && (key.length === 0 || key.length > 200))
    throw new AppError("BAD_REQUEST", "idempotency key must be 1 to 200 characters");
  const chain = await requirePayoutChain(config);

  const existing = async (): Promise<{ withdrawal: WithdrawalView; created: boolean } | null> => {
    if (key === null) return null;
    const r = await loadWithdrawalByKey(sql(), { orgId: opts.orgId, idempotencyKey: key });
    if (!r) return null;
    if (BigInt(r.amount) !== opts.amount)
      throw new AppError("CONFLICT", "this idempotency key was used for a withdrawal of another amount");
    return { withdrawal: view(r), created: false };
  };
  const earlier = await existing();
  if (earlier) return earlier;

  try {
    return await sqlTransaction(async (tx) => {
      // The organisation's row serialises its withdrawals: the open-withdrawals bound holds
      // under concurrent requests.
      if (!(await lockOrgForWithdrawal(tx, { orgId: opts.orgId }))) throw new AppError("NOT_FOUND", "organisation not found");
      const to = await findPayoutAddress(tx, { orgId: opts.orgId });
      if (!to) throw new AppError("CONFLICT", "set and verify a payout address first (sign the message for your wallet's address)");
      if ((await countOpenWithdrawals(tx, { orgId: opts.orgId })) >= config.maxOpenPerOrg) {
        throw new AppError("RATE_LIMITED", `${config.maxOpenPerOrg} withdrawals are still being paid: wait for one to finish`, {
          retryAfterSeconds: 30,
        });
      }
      const w = await insertWithdrawal(tx, {
        orgId: opts.orgId,
        userId: opts.userId,
        amount: opts.amount,
        fee,
        toAddress: to,
        chainId: chain.chainId,
        tokenAddress: chain.tokenAddress,
        idempotencyKey: key,
      });
      await ensureOrgAccounts(tx, opts.orgId);
      await postTransfer(tx, {
        idempotencyKey: `withdraw:${w.id}`,
        kind: "withdrawal",
        memo: `withdrawal ${w.id} to ${to}`,
        legs: [
          { code: orgAccountCode(opts.orgId, "earnings"), amount: -opts.amount },
          { code: SYSTEM_ACCOUNTS.withdrawalsPending.code, amount: opts.amount },
        ],
      });
      logger.info(
        { orgId: opts.orgId, withdrawalId: w.id, amount: opts.amount.toString(), fee: fee.toString(), to },
        "withdrawal requested",
      );
      return { withdrawal: view(w), created: true };
    });
  } catch (err) {
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      const available = await availableEarnings(opts.orgId);
      throw new AppError("INSUFFICIENT_CREDITS", `the amount exceeds your available earnings (${formatTokens(available)} tokens)`, {
        available: available.toString(),
      });
    }
    // Two requests with one key at once: the second insert lost; answer with the first.
    if (isUniqueViolation(err)) {
      const first = await existing();
      if (first) return first;
    }
    throw err;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getWithdrawal(opts: { orgId: string; id: string }): Promise<WithdrawalView> {
  if (!UUID.test(opts.id)) throw new AppError("NOT_FOUND", "withdrawal not found");
  const row = await loadOrgWithdrawal(sql(), { orgId: opts.orgId, id: opts.id });
  if (!row) throw new AppError("NOT_FOUND", "withdrawal not found");
  return view(row);
}

/** The organisation's withdrawals, newest first (at most 100 a page). */
export async function listWithdrawals(opts: { orgId: string; limit?: number }): Promise<WithdrawalView[]> {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 50), 1), 100);
  const rows = await listOrgWithdrawals(sql(), { orgId: opts.orgId, limit });
  return rows.map(view);
}
