import type { Address, Hex } from "viem";
import { publicClientFor, walletClientFor } from "./clients.ts";
import { type CompiledContract, compileProofgridToken } from "./compile.ts";

export interface DeployedToken {
  address: Address;
  /** The block of the deployment: where a scan of the token's events can start. */
  blockNumber: bigint;
  txHash: Hex;
}

/**
 * Deploys a token contract whose constructor is `(address treasury, uint256 supply)` and
 * waits for its receipt. Used for the local chain (and tests); on a real network the token
 * already exists and TOKEN_ADDRESS names it.
 */
export async function deployToken(opts: {
  rpcUrl: string;
  chainId: number;
  deployerKey: Hex;
  treasury: Address;
  /** Base units (6 decimals). */
  supply: bigint;
  contract?: CompiledContract;
}): Promise<DeployedToken> {
  const contract = opts.contract ?? compileProofgridToken();
  const wallet = walletClientFor({ rpcUrl: opts.rpcUrl, chainId: opts.chainId, privateKey: opts.deployerKey });
  const client = publicClientFor({ rpcUrl: opts.rpcUrl, chainId: opts.chainId });
  const txHash = await wallet.deployContract({ abi: contract.abi, bytecode: contract.bytecode, args: [opts.treasury, opts.supply] });
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, timeout: 60_000 });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`token deployment ${txHash} failed (${receipt.status})`);
  return { address: receipt.contractAddress, blockNumber: receipt.blockNumber, txHash };
}

/** Sends `wei` of the native coin (gas money) and waits for it. */
export async function sendNative(opts: { rpcUrl: string; chainId: number; fromKey: Hex; to: Address; wei: bigint }): Promise<Hex> {
  const wallet = walletClientFor({ rpcUrl: opts.rpcUrl, chainId: opts.chainId, privateKey: opts.fromKey });
  const client = publicClientFor({ rpcUrl: opts.rpcUrl, chainId: opts.chainId });
  const hash = await wallet.sendTransaction({ to: opts.to, value: opts.wei });
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 60_000 });
  if (receipt.status !== "success") throw new Error(`transfer ${hash} failed`);
  return hash;
}
