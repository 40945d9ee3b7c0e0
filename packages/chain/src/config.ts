import { type Address, getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";

const ZAddress = z
  .string()
  .refine((s) => isAddress(s, { strict: true }), "must be a 0x-prefixed 20-byte address (EIP-55 checksum when mixed case)")
  .transform((s) => getAddress(s));
const ZPrivateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
  .transform((s) => s as Hex);

/**
 * The chain the platform pays on. `CHAIN_RPC_URL` + `TOKEN_ADDRESS` + `PAYOUT_PRIVATE_KEY`
 * select a real network (an Arbitrum RPC, say); `npm start` sets them to its local Hardhat
 * chain when none is given. `CHAIN_ID`, when set, must match what the RPC reports: a
 * mistyped URL never sends the payout wallet's transactions to another network.
 */
const ZChainEnv = z.object({
  CHAIN_RPC_URL: z.url().optional(),
  CHAIN_ID: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 53 - 1)
    .optional(),
  TOKEN_ADDRESS: ZAddress.optional(),
  /** Only the coordinator (which sends payouts) needs the key; the web app never gets it. */
  PAYOUT_PRIVATE_KEY: ZPrivateKey.optional(),
  /** Where the payout wallet's address is known without its key (the admin's ledger check). */
  PAYOUT_ADDRESS: ZAddress.optional(),
  /** A block explorer's base URL: `<url>/tx/<hash>` links in the portal (e.g. https://arbiscan.io). */
  CHAIN_EXPLORER_URL: z.url().optional(),
  /** Per RPC request. */
  CHAIN_RPC_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
});

export interface ChainConfig {
  rpcUrl: string;
  /** From the environment; null until the RPC is asked (see connectChain). */
  chainId: number | null;
  tokenAddress: Address;
  payoutPrivateKey: Hex | null;
  payoutAddress: Address | null;
  explorerUrl: string | null;
  rpcTimeoutMs: number;
}

/**
 * The chain configuration from the environment, or null when payouts are not configured
 * (no CHAIN_RPC_URL and no TOKEN_ADDRESS). Half a configuration is an error, not a silent
 * fallback to nothing.
 */
export function chainConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ChainConfig | null {
  const parsed = ZChainEnv.safeParse(env);
  if (!parsed.success) throw new Error(`invalid chain configuration: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  if (!e.CHAIN_RPC_URL && !e.TOKEN_ADDRESS) return null;
  if (!e.CHAIN_RPC_URL || !e.TOKEN_ADDRESS)
    throw new Error("set both CHAIN_RPC_URL and TOKEN_ADDRESS (and PAYOUT_PRIVATE_KEY for the coordinator), or neither");
  return {
    rpcUrl: e.CHAIN_RPC_URL,
    chainId: e.CHAIN_ID ?? null,
    tokenAddress: e.TOKEN_ADDRESS,
    payoutPrivateKey: e.PAYOUT_PRIVATE_KEY ?? null,
    payoutAddress: e.PAYOUT_ADDRESS ?? null,
    explorerUrl: e.CHAIN_EXPLORER_URL?.replace(/\/+$/, "") ?? null,
    rpcTimeoutMs: e.CHAIN_RPC_TIMEOUT_MS,
  };
}

/** `<explorer>/tx/<hash>`, or null without an explorer. */
export function explorerTxUrl(explorerUrl: string | null, txHash: string): string | null {
  return explorerUrl ? `${explorerUrl}/tx/${txHash}` : null;
}
