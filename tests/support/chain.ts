/**
 * A real local chain for one test file: Hardhat's node in a temp data dir on a free port,
 * the token deployed and the payout wallet funded (packages/chain's startLocalChain), plus
 * what the tests read back from the chain itself: token balances and Transfer events.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publicClientFor } from "@proofgrid/chain";
import { compileContract } from "@proofgrid/chain/compile";
import { deployToken } from "@proofgrid/chain/deploy";
import { type LocalChain, startLocalChain } from "@proofgrid/chain/local/local-chain";
import { freePort } from "@proofgrid/db/embedded";
import { type Address, erc20Abi, type Hex } from "viem";

export interface TestChain {
  readonly chain: LocalChain;
  /** CHAIN_RPC_URL, CHAIN_ID, TOKEN_ADDRESS and PAYOUT_PRIVATE_KEY for this chain. */
  env(): Record<string, string>;
  client: ReturnType<typeof publicClientFor>;
  tokenBalance(owner: Address, token?: Address): Promise<bigint>;
  /** Every Transfer of the token from `from` since the chain began. */
  transfersFrom(from: Address, token?: Address): Promise<{ to: Address; value: bigint; txHash: Hex; blockNumber: bigint }[]>;
  /** Stops (graceful) or kills (-9) the node, then starts it again from its journal. */
  restart(opts: { kill: boolean; downMs?: number }): Promise<void>;
  /** Blocks only when asked (evm_mine), or one per transaction and every blockMs again. */
  setMining(mode: "manual" | "auto"): Promise<void>;
  /** Deploys the pausable test token, supply minted to the payout wallet. */
  deployPausableToken(supply: bigint): Promise<{ address: Address; abi: ReturnType<typeof compileContract>["abi"] }>;
  stop(): Promise<void>;
}

export async function startTestChain(opts: { blockMs?: number } = {}): Promise<TestChain> {
  const dataDir = mkdtempSync(join(tmpdir(), "proofgrid-chain-"));
  const port = await freePort();
  const blockMs = opts.blockMs ?? 250;
  let chain = await startLocalChain({ dataDir, port, blockMs });
  const client = publicClientFor({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
  return {
    get chain() {
      return chain;
    },
    env: () => ({
      CHAIN_RPC_URL: chain.rpcUrl,
      CHAIN_ID: String(chain.chainId),
      TOKEN_ADDRESS: chain.tokenAddress,
      PAYOUT_PRIVATE_KEY: chain.payoutPrivateKey,
    }),
    client,
    tokenBalance: (owner, token) =>
      client.readContract({ address: token ?? chain.tokenAddress, abi: erc20Abi, functionName: "balanceOf", args: [owner] }),
    async transfersFrom(from, token) {
      const logs = await client.getContractEvents({
        address: token ?? chain.tokenAddress,
        abi: erc20Abi,
        eventName: "Transfer",
        args: { from },
        fromBlock: 0n,
        toBlock: "latest",
      });
      return logs.map((l) => ({
        to: l.args.to as Address,
        value: l.args.value as bigint,
        txHash: l.transactionHash,
        blockNumber: l.blockNumber,
      }));
    },
    async restart({ kill, downMs = 0 }) {
      if (kill) await chain.kill();
      else await chain.stop();
      await new Promise((r) => setTimeout(r, downMs));
      chain = await startLocalChain({ dataDir, port, blockMs });
    },
    async setMining(mode) {
      if (mode === "manual") {
        await chain.rpc("evm_setAutomine", [false]);
        await chain.rpc("evm_setIntervalMining", [0]);
      } else {
        await chain.rpc("evm_setAutomine", [true]);
        await chain.rpc("evm_setIntervalMining", [blockMs]);
      }
    },
    async deployPausableToken(supply) {
      const contract = compileContract("test/PausableTestToken.sol", "PausableTestToken");
      const token = await deployToken({
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        deployerKey: chain.deployerKey,
        treasury: chain.payoutAddress,
        supply,
        contract,
      });
      return { address: token.address, abi: contract.abi };
    },
    async stop() {
      await chain.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
