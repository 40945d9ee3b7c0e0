import { randomUUID } from "node:crypto";
import type { Db } from "@proofgrid/db/db-types";
import { ensureAccounts, LedgerError, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { lockProviderNode } from "@proofgrid/db/stakes/provider-nodes";
import { loadNodeStakeBalances, loadStakeableBalances, lockUnbondingBalance } from "@proofgrid/db/stakes/stake-balances";
import {
  insertUnbondRequest,
  loadDueUnbonds,
  loadUnbondReleaseAt,
  lockUnbondRequest,
  markUnbondReleased,
} from "@proofgrid/db/stakes/unbond-requests";
import { minimumStake } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { formatTokens } from "../billing/tokens.ts";
import { logger } from "../../logger.ts";
import { getPorConfig } from "./por-config.ts";

// Stakes are ledger accounts per node, owned by the node's provider:
//   node:<id>:stake      bonded: backs the node's exposure (exposure.ts), slashable
//   node:<id>:unbonding  leaving: still slashable until the unbonding period ends
//   node:<id>:held       the node's job payouts inside their verification window
// A stake comes from the provider's tokens — its released earnings first, then its credits
// (bought or granted) — and goes back to its credits when released.

export const nodeStakeCode = (nodeId: string) => `node:${nodeId}:stake`;
export const nodeUnbondingCode = (nodeId: string) => `node:${nodeId}:unbonding`;

export async function ensureNodeAccounts(tx: Db, node: { id: string; orgId: string }): Promise<void> {
  await ensureAccounts(tx, [
    { code: nodeStakeCode(node.id), kind: "stake", orgId: node.orgId },
    { code: nodeUnbondingCode(node.id), kind: "stake", orgId: node.orgId },
    { code: `node:${node.id}:held`, kind: "held_earnings", orgId: node.orgId },
  ]);
}

/**
 * A checker's minimum stake (packages/por's minimumStake for its capability): what pays for
 * approving a planted wrong result. Workers have no minimum any more: what they must have
 * bonded follows the value of the jobs they hold (exposure.ts), and a new provider's worker
 * starts on the starter allowance.
 */
export function requiredStake(cuPerHour: number): bigint {
  return minimumStake(Math.max(0, Math.round(cuPerHour)), getPorConfig().stake);
}

const MAX_STAKE = 10n ** 15n; // 10^9 tokens: a bound on one request, far above any real stake

async function providerNode(tx: Db, orgId: string, nodeId: string) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nodeId)) throw new AppError("NOT_FOUND", "node not found");
  const node = await lockProviderNode(tx, { nodeId });
  // Another provider's node, or a removed one, looks exactly like a missing one (tenant isolation).
  if (!node || node.org_id !== orgId) throw new AppError("NOT_FOUND", "node not found");
  return node;
}

function checkAmount(amount: bigint): void {
  if (amount <= 0n || amount > MAX_STAKE)
    throw new AppError(
      "BAD_REQUEST",
      `amount must be between 1 base unit (0.000001 token) and ${formatTokens(MAX_STAKE)} tokens, in base units`,
    );
}

export type StakeSource = "any" | "earnings" | "available";

/**
 * Bonds `amount` base units to the node from the provider's tokens in one transfer: by
 * default its released earnings first, then its credits ("move earnings to stake" is
 * `source: "earnings"`). A retry with the same idempotency key moves the tokens once; without
 * a key one is made here, so the call needs none (and then is not retry-safe: send a key, in
 * the body or as the `Idempotency-Key` header, to retry safely).
 */
export async function stakeNode(opts: { orgId: string; nodeId: string; amount: bigint; idempotencyKey?: string; source?: StakeSource }) {
  checkAmount(opts.amount);
  const key = opts.idempotencyKey ?? `server:${randomUUID()}`;
  const source = opts.source ?? "any";
  try {
    return await sqlTransaction(async (tx) => {
      const node = await providerNode(tx, opts.orgId, opts.nodeId);
      await ensureNodeAccounts(tx, { id: node.id, orgId: node.org_id });
      const earningsCode = orgAccountCode(opts.orgId, "earnings");
      const availableCode = orgAccountCode(opts.orgId, "available");
      const bal = await loadStakeableBalances(tx, { earningsCode, availableCode });
      const earnings = BigInt(bal.find((b) => b.code === earningsCode)?.balance ?? 0n);
      const fromEarnings = source === "available" ? 0n : source === "earnings" ? opts.amount : minBig(earnings, opts.amount);
      const fromAvailable = opts.amount - fromEarnings;
      const res = await postTransfer(tx, {
        // Scoped to the node: the same key on another node is another stake.
        idempotencyKey: `stake:${node.id}:${key}`,
        kind: "stake",
        memo: `bond to node ${node.id}`,
        legs: [
          { code: earningsCode, amount: -fromEarnings },
          { code: availableCode, amount: -fromAvailable },
          { code: nodeStakeCode(node.id), amount: opts.amount },
        ].filter((l) => l.amount !== 0n),
      });
      logger.info(
        { nodeId: node.id, amount: opts.amount.toString(), fromEarnings: fromEarnings.toString(), created: res.created },
        "stake bonded",
      );
      return {
        transferId: res.transferId,
        created: res.created,
        idempotencyKey: key,
        fromEarnings: fromEarnings.toString(),
        fromAvailable: fromAvailable.toString(),
      };
    });
  } catch (err) {
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      throw new AppError(
        "INSUFFICIENT_CREDITS",
        source === "earnings"
          ? "not enough released earnings to stake"
          : "not enough tokens to stake: released earnings and credits together are below the amount",
      );
    }
    throw err;
  }
}

/** Starts unbonding: the tokens stop counting toward the minimum at once, stay slashable,
 * and return to the provider after the unbonding period (the coordinator releases them). */
export async function requestUnbond(opts: { orgId: string; nodeId: string; amount: bigint; idempotencyKey?: string }) {
  checkAmount(opts.amount);
  const config = getPorConfig();
  const key = opts.idempotencyKey ?? `server:${randomUUID()}`;
  try {
    return await sqlTransaction(async (tx) => {
      const node = await providerNode(tx, opts.orgId, opts.nodeId);
      const res = await postTransfer(tx, {
        idempotencyKey: `unbond:${node.id}:${key}`,
        kind: "unbond",
        memo: `unbond from node ${node.id}`,
        legs: [
          { code: nodeStakeCode(node.id), amount: -opts.amount },
          { code: nodeUnbondingCode(node.id), amount: opts.amount },
        ],
      });
      if (res.created) {
        const releaseAt = new Date(Date.now() + config.unbondingMs);
        await insertUnbondRequest(tx, { id: res.transferId, nodeId: node.id, amount: opts.amount, releaseAt });
        return { requestId: res.transferId, releaseAt: releaseAt.toISOString(), idempotencyKey: key };
      }
      // A retry answers the stored request, not a new release time.
      const stored = await loadUnbondReleaseAt(tx, { id: res.transferId });
      return { requestId: res.transferId, releaseAt: (stored ?? new Date()).toISOString(), idempotencyKey: key };
    });
  } catch (err) {
    if (err instanceof LedgerError && err.code === "insufficient_funds")
      throw new AppError("BAD_REQUEST", "cannot unbond more than the bonded stake");
    throw err;
  }
}

/** Pays out unbonding requests whose period has ended (coordinator). A slash may have
 * taken part of the unbonding balance: what is left is paid, never more. */
export async function releaseDueUnbonds(opts: { limit?: number } = {}): Promise<number> {
  let released = 0;
  const due = await sqlTransaction(async (tx) => loadDueUnbonds(tx, { limit: opts.limit ?? 100 }));
  for (const u of due) {
    await sqlTransaction(async (tx) => {
      const locked = await lockUnbondRequest(tx, { id: u.id });
      if (!locked || locked.released_at) return;
      const bal = await lockUnbondingBalance(tx, { unbondingCode: nodeUnbondingCode(u.node_id) });
      const amount = minBig(BigInt(u.amount), BigInt(bal ?? 0n));
      if (amount > 0n) {
        await postTransfer(tx, {
          idempotencyKey: `unbond-release:${u.id}`,
          kind: "unbond_release",
          legs: [
            { code: nodeUnbondingCode(u.node_id), amount: -amount },
            { code: orgAccountCode(u.org_id, "available"), amount },
          ],
        });
      }
      await markUnbondReleased(tx, { id: u.id });
      released++;
    });
  }
  return released;
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export async function stakeStatus(db: Db, nodeId: string, cuPerHour: number) {
  const rows = await loadNodeStakeBalances(db, { stakeCode: nodeStakeCode(nodeId), unbondingCode: nodeUnbondingCode(nodeId) });
  const by = new Map(rows.map((r) => [r.code, BigInt(r.balance)]));
  const bonded = by.get(nodeStakeCode(nodeId)) ?? 0n;
  const required = requiredStake(cuPerHour);
  return { bonded, unbonding: by.get(nodeUnbondingCode(nodeId)) ?? 0n, required, sufficient: bonded >= required };
}
