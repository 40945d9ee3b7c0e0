import { type ChainPublicClient, publicClientFor } from "@proofgrid/chain";
import { getBalances, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { loadSignedWithdrawals, sumWithdrawals } from "@proofgrid/db/payouts/payout-check";
import { sql } from "@proofgrid/db/sql-client";
import { type Address, erc20Abi, getAddress, type Hex, parseEventLogs, TransactionReceiptNotFoundError } from "viem";
import { getPayoutConfig, requirePayoutChain } from "./payout-config.ts";

// The ledger check's payout half: what the ledger says left the platform must be what the
// chain shows left the payout wallet, transfer by transfer. Read-only (SQL and eth_getLogs).
//
// Ledger side: withdrawals_paid = Σ net of paid withdrawals, withdrawals_pending = Σ amount
// of open (queued, signed) ones. Chain side: each withdrawal's transaction by its receipt
// (what it transferred), then every ERC-20 Transfer out of a payout wallet since its first
// withdrawal, matched by transaction hash to the withdrawal that signed it. A paid withdrawal without its transfer, a returned one whose transfer happened
// anyway (paid twice: once on chain, once back to earnings), or a transfer no withdrawal
// signed (the payout wallet used for something else, or a leaked key) each fail the check.

/** eth_getLogs block range per call: public RPCs cap it (10 000 on common Arbitrum endpoints). */
const LOG_CHUNK_BLOCKS = 10_000n;
/** Receipts asked for at once (one per withdrawal that ever had a transaction). */
const RECEIPT_CONCURRENCY = 8;
/** A bound on one check's getLogs calls (10^8 blocks); past it the check says it is partial. */
const MAX_LOG_CHUNKS = 10_000;

export interface PayoutCheck {
  ok: boolean;
  /** "unchecked": no chain configured and nothing was ever signed, so nothing to compare. */
  chain: "checked" | "unchecked";
  ledger: { paidBalance: bigint; paidWithdrawalsNet: bigint; pendingBalance: bigint; openWithdrawalsAmount: bigint };
  /** Σ value of the on-chain transfers of paid withdrawals. Equals ledger.paidBalance when ok. */
  onChainPaid: bigint;
  /** Paid withdrawals whose transfer is not on chain, or not of `net` to `to_address`. */
  missingTransfers: { withdrawalId: string; txHash: string | null; reason: string }[];
  /** Withdrawals returned to earnings (failed) whose transfer is on chain nevertheless. */
  failedButTransferred: { withdrawalId: string; txHash: string; value: bigint }[];
  /** Transfers out of a payout wallet that no withdrawal signed. */
  unrecordedTransfers: { txHash: string; to: string; value: bigint; blockNumber: bigint }[];
  /** Why part of the chain side could not be checked (unreachable RPC, another chain id). */
  errors: string[];
}

interface ChainTransfer {
  txHash: Hex;
  to: Address;
  value: bigint;
  blockNumber: bigint;
}

async function transfersOut(
  client: ChainPublicClient,
  token: Address,
  from: Address,
  fromBlock: bigint,
  errors: string[],
): Promise<ChainTransfer[]> {
  const head = await client.getBlockNumber();
  const out: ChainTransfer[] = [];
  let start = fromBlock;
  for (let i = 0; start <= head; i++) {
    if (i >= MAX_LOG_CHUNKS) {
      errors.push(`scanned ${MAX_LOG_CHUNKS} ranges of ${LOG_CHUNK_BLOCKS} blocks for ${from}; blocks ${start}..${head} not checked`);
      break;
    }
    const end = start + LOG_CHUNK_BLOCKS - 1n < head ? start + LOG_CHUNK_BLOCKS - 1n : head;
    const logs = await client.getContractEvents({
      address: token,
      abi: erc20Abi,
      eventName: "Transfer",
      args: { from },
      fromBlock: start,
      toBlock: end,
    });
    for (const l of logs)
      out.push({
        txHash: l.transactionHash,
        to: getAddress(l.args.to as Address),
        value: l.args.value as bigint,
        blockNumber: l.blockNumber,
      });
    start = end + 1n;
  }
  return out;
}

/** Reconciles the ledger's payout accounts with the payout wallets' transfers on chain. */
export async function checkPayouts(): Promise<PayoutCheck> {
  const errors: string[] = [];
  const codes = [SYSTEM_ACCOUNTS.withdrawalsPaid.code, SYSTEM_ACCOUNTS.withdrawalsPending.code];
  const balances = await getBalances(sql(), codes);
  const sums = await sumWithdrawals(sql());
  const ledger = {
    paidBalance: balances.get(codes[0] as string) ?? 0n,
    paidWithdrawalsNet: BigInt(sums.paid ?? 0n),
    pendingBalance: balances.get(codes[1] as string) ?? 0n,
    openWithdrawalsAmount: BigInt(sums.open ?? 0n),
  };
  // Only withdrawals that ever had a transaction can have moved tokens on chain.
  const rows = await loadSignedWithdrawals(sql());
  const result: PayoutCheck = {
    ok: false,
    chain: "checked",
    ledger,
    onChainPaid: 0n,
    missingTransfers: [],
    failedButTransferred: [],
    unrecordedTransfers: [],
    errors,
  };

  const config = getPayoutConfig();
  if (!config.chain) {
    if (rows.length > 0)
      errors.push(`${rows.length} withdrawals have transactions but no chain is configured (CHAIN_RPC_URL, TOKEN_ADDRESS)`);
    else result.chain = "unchecked";
  } else {
    try {
      const chain = await requirePayoutChain(config);
      const client = publicClientFor({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, timeoutMs: chain.rpcTimeoutMs });
      const byTx = new Map(rows.map((r) => [(r.tx_hash as string).toLowerCase(), r]));
      const mine = rows.filter((r) => {
        if (r.chain_id === chain.chainId) return true;
        errors.push(`withdrawal ${r.id} is on chain ${r.chain_id}, the configured chain is ${chain.chainId}: not checked`);
        return false;
      });
      // 1. Each withdrawal's own transaction, by its receipt: what it moved, wherever it was
      // mined (block numbers are not stable on the local chain: a restart replays its journal
      // into fresh blocks, so signed_at_block can lie above where the transfer now is).
      const minedAt = new Map<string, bigint>();
      for (let i = 0; i < mine.length; i += RECEIPT_CONCURRENCY) {
        await Promise.all(
          mine.slice(i, i + RECEIPT_CONCURRENCY).map(async (w) => {
            const receipt = await client.getTransactionReceipt({ hash: w.tx_hash as Hex }).catch((err: unknown) => {
              if (err instanceof TransactionReceiptNotFoundError) return null;
              throw err;
            });
            const moved =
              receipt?.status === "success"
                ? parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs }).filter(
                    (l) =>
                      getAddress(l.address) === getAddress(w.token_address) &&
                      w.from_address !== null &&
                      getAddress(l.args.from) === getAddress(w.from_address),
                  )
                : [];
            if (receipt) {
              const k = `${getAddress(w.token_address)}:${w.from_address ? getAddress(w.from_address) : ""}`;
              const seen = minedAt.get(k);
              if (seen === undefined || receipt.blockNumber < seen) minedAt.set(k, receipt.blockNumber);
            }
            if (w.state === "paid") {
              const t = moved[0];
              if (moved.length !== 1 || !t) {
                result.missingTransfers.push({
                  withdrawalId: w.id,
                  txHash: w.tx_hash,
                  reason: receipt
                    ? `its transaction made ${moved.length} transfers out of the payout wallet`
                    : "its transaction is not on chain",
                });
                return;
              }
              result.onChainPaid += t.args.value;
              if (t.args.value !== BigInt(w.net) || getAddress(t.args.to) !== getAddress(w.to_address)) {
                result.missingTransfers.push({
                  withdrawalId: w.id,
                  txHash: w.tx_hash,
                  reason: `on chain ${t.args.value} to ${t.args.to}, the ledger paid ${w.net} to ${w.to_address}`,
                });
              }
            } else if (w.state === "failed" && moved.length > 0) {
              result.failedButTransferred.push({
                withdrawalId: w.id,
                txHash: w.tx_hash as string,
                value: moved.reduce((a, l) => a + l.args.value, 0n),
              });
            }
            // signed: mined but not yet deep enough, or not yet mined; the payout loop decides.
          }),
        );
      }
      // 2. Every transfer out of each payout wallet since its first withdrawal: any that no
      // withdrawal signed is reported.
      const groups = new Map<string, { token: Address; from: Address; fromBlock: bigint }>();
      for (const r of mine) {
        if (!r.from_address) continue;
        const token = getAddress(r.token_address);
        const from = getAddress(r.from_address);
        const k = `${token}:${from}`;
        let fromBlock = r.signed_at_block === null ? 0n : BigInt(r.signed_at_block);
        const mined = minedAt.get(k);
        if (mined !== undefined && mined < fromBlock) fromBlock = mined;
        const g = groups.get(k);
        if (!g) groups.set(k, { token, from, fromBlock });
        else if (fromBlock < g.fromBlock) g.fromBlock = fromBlock;
      }
      for (const g of groups.values()) {
        for (const t of await transfersOut(client, g.token, g.from, g.fromBlock, errors)) {
          if (!byTx.has(t.txHash.toLowerCase()))
            result.unrecordedTransfers.push({ txHash: t.txHash, to: t.to, value: t.value, blockNumber: t.blockNumber });
        }
      }
    } catch (err) {
      errors.push(`the chain could not be read: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }

  result.ok =
    errors.length === 0 &&
    ledger.paidBalance === ledger.paidWithdrawalsNet &&
    ledger.pendingBalance === ledger.openWithdrawalsAmount &&
    (result.chain === "unchecked" || result.onChainPaid === ledger.paidBalance) &&
    result.missingTransfers.length === 0 &&
    result.failedButTransferred.length === 0 &&
    result.unrecordedTransfers.length === 0;
  return result;
}
