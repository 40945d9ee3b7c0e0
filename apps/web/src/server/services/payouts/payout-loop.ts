/**
 * The payout loop (coordinator leader): pays queued withdrawals with ERC-20 transfers from
 * the payout wallet, and settles them in the ledger once they are N blocks deep.
 *
 * Exactly once, whatever crashes:
 * - A withdrawal gets exactly one signed transaction, with one nonce of the payout wallet,
 *   recorded in Postgres (state `signed`) in the same transaction that hands out the nonce,
 *   and only then broadcast. A crash before the commit leaves nothing signed; after it, the
 *   next leader finds the recorded bytes and sends them again (the same hash: the network
 *   answers "already known" or mines it once). A database trigger refuses any change to a
 *   recorded transaction, and (chain, wallet, nonce) is unique: no second transaction is ever
 *   signed for a withdrawal, so no second payment can be mined.
 * - `paid` needs a successful receipt, with the token's Transfer to the address for `net`,
 *   PAYOUT_CONFIRMATIONS blocks deep; `failed` (tokens back to the provider) needs a reverted
 *   receipt as deep, or the nonce used by another confirmed transaction for longer than a
 *   grace period (then this transaction can never be mined), or a transfer that would revert
 *   before anything was signed. Both are final (trigger), each with its own idempotent
 *   ledger transfer.
 * - A transaction the chain lost (a node restart, a reorg) has no receipt and its nonce is
 *   not used: it is broadcast again, every PAYOUT_REBROADCAST_MS.
 */
import { type ChainPublicClient, publicClientFor, readChainId } from "@proofgrid/chain";
import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import {
  clearNonceTaken,
  loadOpenWithdrawals,
  lockWithdrawalState,
  markNonceTaken,
  markWithdrawalFailed,
  markWithdrawalPaid,
  markWithdrawalSigned,
  type OpenWithdrawalRow,
  recordBroadcast,
  recordBroadcastFailure,
  recordWithdrawalError,
} from "@proofgrid/db/payouts/payout-queue";
import { ensurePayoutWallet, lockNextNonce, setNextNonce } from "@proofgrid/db/payouts/payout-wallets";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  erc20Abi,
  ExecutionRevertedError,
  getAddress,
  type Hex,
  keccak256,
  parseEventLogs,
  TransactionReceiptNotFoundError,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { logger } from "../../logger.ts";
import { getPayoutConfig, type PayoutConfig } from "./payout-config.ts";

interface LoopContext {
  config: PayoutConfig;
  chainId: number;
  token: Address;
  account: PrivateKeyAccount;
  client: ChainPublicClient;
}

export interface PayoutTickResult {
  signed: number;
  broadcast: number;
  paid: number;
  failed: number;
  waiting: number;
}

/** Returns the withdrawal's tokens to the provider's earnings (fee included: nothing was paid). */
async function failWithdrawal(w: Pick<OpenWithdrawalRow, "id" | "org_id" | "amount">, reason: string): Promise<boolean> {
  return sqlTransaction(async (tx) => {
    const state = await lockWithdrawalState(tx, { id: w.id });
    if (state !== "queued" && state !== "signed") return false;
    await markWithdrawalFailed(tx, { id: w.id, reason: reason.slice(0, 500) });
    await postTransfer(tx, {
      idempotencyKey: `withdraw-return:${w.id}`,
      kind: "withdrawal_return",
      memo: `withdrawal ${w.id} returned: ${reason.slice(0, 200)}`,
      legs: [
        { code: SYSTEM_ACCOUNTS.withdrawalsPending.code, amount: -BigInt(w.amount) },
        { code: orgAccountCode(w.org_id, "earnings"), amount: BigInt(w.amount) },
      ],
    });
    logger.warn({ withdrawalId: w.id, orgId: w.org_id, reason }, "payout: withdrawal returned to the provider");
    return true;
  });
}

async function markPaid(w: OpenWithdrawalRow, minedBlock: bigint): Promise<boolean> {
  return sqlTransaction(async (tx) => {
    if ((await lockWithdrawalState(tx, { id: w.id })) !== "signed") return false;
    await markWithdrawalPaid(tx, { id: w.id, minedBlock });
    const fee = BigInt(w.fee);
    await postTransfer(tx, {
      idempotencyKey: `withdraw-paid:${w.id}`,
      kind: "withdrawal_paid",
      memo: `withdrawal ${w.id} paid in ${w.tx_hash}`,
      legs: [
        { code: SYSTEM_ACCOUNTS.withdrawalsPending.code, amount: -BigInt(w.amount) },
        { code: SYSTEM_ACCOUNTS.withdrawalsPaid.code, amount: BigInt(w.net) },
        ...(fee > 0n ? [{ code: SYSTEM_ACCOUNTS.protocolFee.code, amount: fee }] : []),
      ],
    });
    logger.info({ withdrawalId: w.id, orgId: w.org_id, txHash: w.tx_hash, block: minedBlock.toString(), net: w.net }, "payout: paid");
    return true;
  });
}

async function recordError(id: string, err: unknown): Promise<void> {
  await recordWithdrawalError(sql(), { id, message: errorText(err).slice(0, 500) });
}

function errorText(err: unknown): string {
  if (err instanceof BaseError) return err.shortMessage;
  return err instanceof Error ? err.message : String(err);
}

/** The transfer itself would revert (as opposed to the RPC failing to answer). */
function isRevert(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  // viem types a revert where it recognises the node's wording; Hardhat answers a reverting
  // estimate with an internal error whose text says "reverted".
  return (
    err.walk(
      (e) =>
        e instanceof ContractFunctionRevertedError ||
        e instanceof ExecutionRevertedError ||
        /\brevert(ed)?\b/i.test((e as BaseError).details ?? (e as Error).message ?? ""),
    ) !== null
  );
}

/** A send the network refused because it already has (or has mined) this very transaction. */
function isAlreadySent(err: unknown): boolean {
  const text = `${errorText(err)} ${err instanceof BaseError ? err.details : ""}`.toLowerCase();
  return /already known|known transaction|nonce too low|already imported|alreadyknown|nonce has already been used/.test(text);
}

async function openWithdrawals(state: "queued" | "signed", ctx: LoopContext): Promise<OpenWithdrawalRow[]> {
  return loadOpenWithdrawals(sql(), { state, chainId: ctx.chainId, limit: ctx.config.batch });
}

async function broadcast(ctx: LoopContext, w: Pick<OpenWithdrawalRow, "id" | "raw_tx" | "tx_hash">): Promise<boolean> {
  try {
    await ctx.client.sendRawTransaction({ serializedTransaction: w.raw_tx as Hex });
  } catch (err) {
    if (!isAlreadySent(err)) {
      logger.warn({ withdrawalId: w.id, txHash: w.tx_hash, err: errorText(err) }, "payout: broadcast failed; will retry");
      await recordBroadcastFailure(sql(), { id: w.id, message: errorText(err).slice(0, 500) });
      return false;
    }
  }
  await recordBroadcast(sql(), { id: w.id });
  logger.info({ withdrawalId: w.id, txHash: w.tx_hash }, "payout: broadcast");
  return true;
}

/** Signs queued withdrawals (one transaction each, recorded before it is sent) and sends them. */
async function signQueued(ctx: LoopContext, result: PayoutTickResult): Promise<void> {
  const queued = await openWithdrawals("queued", ctx);
  if (queued.length === 0) return;
  const wallet = ctx.account.address;
  await ensurePayoutWallet(sql(), { chainId: ctx.chainId, address: wallet });
  for (const w of queued) {
    if (getAddress(w.token_address) !== ctx.token) {
      await recordError(w.id, new Error(`requested for token ${w.token_address}, but the payout loop pays ${ctx.token}`));
      continue;
    }
    if (w.age_ms > ctx.config.queuedMaxAgeMs) {
      if (await failWithdrawal(w, `could not be sent for ${Math.round(w.age_ms / 3_600_000)} h${w.last_error ? `: ${w.last_error}` : ""}`))
        result.failed++;
      continue;
    }
    const net = BigInt(w.net);
    const data = encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [w.to_address, net] });
    // Would the transfer succeed, given what the payout wallet has already sent (pending)?
    let gas: bigint;
    try {
      gas = await ctx.client.estimateGas({ account: wallet, to: ctx.token, data, blockTag: "pending" });
    } catch (err) {
      if (isRevert(err)) {
        if (await failWithdrawal(w, `the payout wallet cannot make this transfer (${errorText(err)})`)) result.failed++;
        continue;
      }
      await recordError(w.id, err);
      return; // the RPC is failing: try again next tick
    }
    gas = BigInt(Math.ceil(Number(gas) * ctx.config.gasMultiplier));
    const [block, priority, balance, latestCount] = await Promise.all([
      ctx.client.getBlock({ blockTag: "latest" }),
      ctx.client.estimateMaxPriorityFeePerGas(),
      ctx.client.getBalance({ address: wallet }),
      ctx.client.getTransactionCount({ address: wallet, blockTag: "latest" }),
    ]);
    // Twice the base fee: the transaction stays valid through a run of full blocks.
    const maxFeePerGas = (block.baseFeePerGas ?? 0n) * 2n + priority;
    if (balance < gas * maxFeePerGas) {
      await recordError(w.id, new Error(`the payout wallet ${wallet} lacks gas money (${balance} wei, needs ${gas * maxFeePerGas})`));
      logger.error({ wallet, balance: balance.toString() }, "payout: the payout wallet lacks gas money");
      return;
    }
    const signed = await sqlTransaction(async (tx) => {
      if ((await lockWithdrawalState(tx, { id: w.id })) !== "queued") return null;
      // Our own count of nonces handed out, or the chain's if another sender used some.
      const stored = await lockNextNonce(tx, { chainId: ctx.chainId, address: wallet });
      const nonce = stored > BigInt(latestCount) ? stored : BigInt(latestCount);
      const raw = await ctx.account.signTransaction({
        type: "eip1559",
        chainId: ctx.chainId,
        nonce: Number(nonce),
        to: ctx.token,
        data,
        value: 0n,
        gas,
        maxFeePerGas,
        maxPriorityFeePerGas: priority,
      });
      const hash = keccak256(raw);
      await markWithdrawalSigned(tx, { id: w.id, fromAddress: wallet, nonce, rawTx: raw, txHash: hash, signedAtBlock: block.number ?? 0n });
      await setNextNonce(tx, { chainId: ctx.chainId, address: wallet, nextNonce: nonce + 1n });
      return { raw, hash, nonce };
    });
    if (!signed) continue;
    result.signed++;
    logger.info(
      { withdrawalId: w.id, txHash: signed.hash, nonce: signed.nonce.toString(), to: w.to_address, net: w.net },
      "payout: signed and recorded",
    );
    if (await broadcast(ctx, { id: w.id, raw_tx: signed.raw, tx_hash: signed.hash })) result.broadcast++;
  }
}

/** Follows signed withdrawals to paid or failed, and sends again what the chain lost. */
async function trackSigned(ctx: LoopContext, result: PayoutTickResult): Promise<void> {
  const signed = await openWithdrawals("signed", ctx);
  if (signed.length === 0) return;
  const head = await ctx.client.getBlockNumber();
  const depth = BigInt(ctx.config.confirmations);
  for (const w of signed) {
    const hash = w.tx_hash as Hex;
    let receipt: Awaited<ReturnType<ChainPublicClient["getTransactionReceipt"]>> | null = null;
    try {
      receipt = await ctx.client.getTransactionReceipt({ hash });
    } catch (err) {
      if (!(err instanceof TransactionReceiptNotFoundError)) throw err;
    }
    if (receipt) {
      const confirmations = head - receipt.blockNumber + 1n;
      if (confirmations < depth) {
        result.waiting++;
        continue;
      }
      if (receipt.status === "success") {
        const transfers = parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs }).filter(
          (l) =>
            getAddress(l.address) === ctx.token &&
            getAddress(l.args.from) === getAddress(w.from_address as Address) &&
            getAddress(l.args.to) === getAddress(w.to_address) &&
            l.args.value === BigInt(w.net),
        );
        if (transfers.length !== 1) {
          // Mined, yet not the transfer we signed: never settle this automatically either way.
          await recordError(
            w.id,
            new Error(`mined in block ${receipt.blockNumber} without the expected Transfer event: needs an operator`),
          );
          logger.error({ withdrawalId: w.id, txHash: hash }, "payout: mined without the expected Transfer event");
          continue;
        }
        if (await markPaid(w, receipt.blockNumber)) result.paid++;
      } else if (await failWithdrawal(w, `the transfer reverted on chain (transaction ${hash}, block ${receipt.blockNumber})`)) {
        result.failed++;
      }
      continue;
    }
    // No receipt. If a confirmed transaction of the wallet already used this nonce, ours can
    // never be mined; after a grace (an RPC node may lag), the withdrawal is returned.
    const confirmedAt = head - depth + 1n;
    const confirmedCount =
      confirmedAt < 0n ? 0 : await ctx.client.getTransactionCount({ address: w.from_address as Address, blockNumber: confirmedAt });
    if (BigInt(confirmedCount) > BigInt(w.nonce as string)) {
      if (w.nonce_taken_ms === null) {
        await markNonceTaken(sql(), { id: w.id });
      } else if (w.nonce_taken_ms >= ctx.config.nonceTakenGraceMs) {
        if (await failWithdrawal(w, `nonce ${w.nonce} of the payout wallet was used by another transaction`)) result.failed++;
      }
      result.waiting++;
      continue;
    }
    if (w.nonce_taken_since) await clearNonceTaken(sql(), { id: w.id });
    if (w.since_broadcast_ms === null || w.since_broadcast_ms >= ctx.config.rebroadcastMs || w.broadcast_count === 0) {
      if (await broadcast(ctx, w)) result.broadcast++;
    }
    result.waiting++;
  }
}

/**
 * The loop's state across ticks: the chain client, made on first use and again after a
 * failure (the RPC may come back on another node).
 */
export function createPayoutLoop() {
  let ctx: LoopContext | null = null;
  let warned = false;
  async function context(): Promise<LoopContext | null> {
    const config = getPayoutConfig();
    const chain = config.chain;
    if (!chain || !chain.payoutPrivateKey) {
      if (!warned)
        logger.info(
          chain ? "payouts: no PAYOUT_PRIVATE_KEY; the payout loop is off" : "payouts: no chain configured; the payout loop is off",
        );
      warned = true;
      return null;
    }
    if (ctx && ctx.config === config) return ctx;
    const chainId = await readChainId(chain.rpcUrl, chain.chainId, chain.rpcTimeoutMs);
    ctx = {
      config,
      chainId,
      token: chain.tokenAddress,
      account: privateKeyToAccount(chain.payoutPrivateKey),
      client: publicClientFor({ rpcUrl: chain.rpcUrl, chainId, timeoutMs: chain.rpcTimeoutMs }),
    };
    logger.info({ chainId, token: ctx.token, wallet: ctx.account.address, confirmations: config.confirmations }, "payouts: paying");
    return ctx;
  }
  return {
    async tick(): Promise<PayoutTickResult> {
      const result: PayoutTickResult = { signed: 0, broadcast: 0, paid: 0, failed: 0, waiting: 0 };
      const c = await context();
      if (!c) return result;
      try {
        // Follow what is in flight first: its nonces come before any new one.
        await trackSigned(c, result);
        await signQueued(c, result);
      } catch (err) {
        ctx = null;
        throw err;
      }
      return result;
    },
  };
}
