import {
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

export type ChainPublicClient = PublicClient<Transport, Chain>;

/** A viem chain for any EVM network the RPC serves (the id comes from the RPC itself). */
export function chainFor(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function publicClientFor(opts: { rpcUrl: string; chainId: number; timeoutMs?: number }): ChainPublicClient {
  return createPublicClient({
    chain: chainFor(opts.chainId, opts.rpcUrl),
    // One retry: reads are safe to repeat, and the payout loop has its own backoff.
    transport: http(opts.rpcUrl, { timeout: opts.timeoutMs ?? 10_000, retryCount: 1 }),
    // Receipts and blocks are polled by the loop itself; viem's cache would hide a restart.
    cacheTime: 0,
  }) as ChainPublicClient;
}

export function walletClientFor(opts: {
  rpcUrl: string;
  chainId: number;
  privateKey: Hex;
  timeoutMs?: number;
}): WalletClient<Transport, Chain, PrivateKeyAccount> {
  return createWalletClient({
    account: privateKeyToAccount(opts.privateKey),
    chain: chainFor(opts.chainId, opts.rpcUrl),
    transport: http(opts.rpcUrl, { timeout: opts.timeoutMs ?? 10_000, retryCount: 1 }),
  });
}

/** Asks the RPC which chain it serves; refuses when it is not the one configured. */
export async function readChainId(rpcUrl: string, expected: number | null, timeoutMs = 10_000): Promise<number> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: timeoutMs, retryCount: 1 }) });
  const chainId = await client.getChainId();
  if (expected !== null && chainId !== expected)
    throw new Error(`the RPC at ${rpcUrl} serves chain ${chainId}, not the configured CHAIN_ID ${expected}`);
  return chainId;
}
