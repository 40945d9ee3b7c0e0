/**
 * The local chain of `npm start` and the tests: Hardhat 2.28's network (`hardhat node`, the
 * EDR engine shipped in the npm package), run as a child process like the embedded Postgres,
 * with its state in a data directory.
 *
 * Hardhat keeps its chain in memory only, so this module keeps it on disk itself: a follower
 * appends every mined transaction's signed bytes to `journal.jsonl` (fsync'd per batch), and
 * a restart replays them in order into a fresh node. The same signed transactions give the
 * same contract address, balances, nonces, transaction hashes and Transfer events (block
 * numbers and times differ, as after a reorg). A crash loses only blocks the follower had not
 * yet journaled (≤ one poll, 200 ms): to a payout loop that is a reorg, which it must survive
 * on any real chain anyway. The first start deploys the token (minting the supply to a
 * payout wallet whose key it creates) and gives that wallet gas money.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Address, formatTransaction, type Hex, parseEther, type RpcTransaction } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployToken, sendNative } from "../deploy.ts";
import { rawTransaction } from "../raw-transaction.ts";

const require = createRequire(import.meta.url);
const CHAIN_PACKAGE_DIR = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Hardhat's first default account: publicly known, and only ever used on this local chain. */
export const LOCAL_DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const LOCAL_CHAIN_ID = 31_337;
/** 10^9 tokens in base units (6 decimals), minted to the payout wallet at deployment. */
export const LOCAL_TOKEN_SUPPLY = 10n ** 15n;

export interface LocalChainState {
  chainId: number;
  tokenAddress: Address;
  payoutAddress: Address;
  payoutPrivateKey: Hex;
  deployBlock: string;
}

export interface LocalChain extends Omit<LocalChainState, "deployBlock"> {
  rpcUrl: string;
  port: number;
  dataDir: string;
  deployBlock: bigint;
  deployerKey: Hex;
  /** Transactions replayed from the journal at this start. */
  replayed: number;
  pid: number;
  /** Journals what is mined, then stops the node. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: what the follower had not journaled is lost. */
  kill(): Promise<void>;
  /** Hardhat JSON-RPC (evm_mine, evm_setAutomine, ...), for tests and benchmarks. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Resolves once every block up to the current head is in the journal. */
  flushJournal(): Promise<void>;
}

export interface StartLocalChainOptions {
  dataDir: string;
  port: number;
  /** A block every this many ms besides one per transaction (confirmations accrue); 0 = only on transactions. */
  blockMs?: number;
  log?: (msg: string) => void;
}

async function rpcCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

function killOrphan(pidFile: string, log: (m: string) => void): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    // Only a hardhat node: the pid may have been reused by something else since.
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmd.includes("hardhat")) return;
    process.kill(pid, "SIGKILL");
    log(`stopped a chain node left running by an earlier start (pid ${pid})`);
  } catch {
    // not running
  }
}

interface JournalLine {
  b: string;
  h: Hex;
  raw: Hex;
}

/** How long polls may fail before the journal says so. */
const QUIET_FAILURE_MS = 5_000;

/** Appends each new block's transactions to the journal, in order. */
class JournalFollower {
  private next: bigint;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private queue: Promise<void> = Promise.resolve();
  /** The last failure logged ("" when the last poll worked). */
  private lastError = "";
  private failingSince: number | undefined;

  constructor(
    private readonly rpcUrl: string,
    private readonly path: string,
    fromBlock: bigint,
    private readonly log: (m: string) => void,
  ) {
    this.next = fromBlock;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.poll()
        .then(() => {
          if (this.lastError) this.log("chain journal: the chain answers again; the journal is caught up");
          this.failingSince = undefined;
          this.lastError = "";
        })
        .catch((err: unknown) => {
          // A busy machine (npm start measuring a worker's capability) makes the odd poll
          // time out; the next one catches up. Only a chain unreachable for a while is news.
          const msg = err instanceof Error ? err.message : String(err);
          this.failingSince ??= Date.now();
          if (Date.now() - this.failingSince < QUIET_FAILURE_MS || msg === this.lastError) return;
          this.log(`chain journal: ${msg} (for ${Math.round((Date.now() - this.failingSince) / 1000)} s; retrying)`);
          this.lastError = msg;
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, 200);
        });
    };
    tick();
  }

  /** One poll at a time (the timer's and a flush's would journal a block twice). */
  poll(): Promise<void> {
    const run = this.queue.then(() => this.pollOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Journals blocks up to the head (at most 200 per call: a bound on one batch). */
  private async pollOnce(): Promise<void> {
    const head = BigInt(await rpcCall<Hex>(this.rpcUrl, "eth_blockNumber"));
    const lines: JournalLine[] = [];
    let b = this.next;
    for (; b <= head && b < this.next + 200n; b++) {
      const block = await rpcCall<{ transactions: RpcTransaction[] } | null>(this.rpcUrl, "eth_getBlockByNumber", [
        `0x${b.toString(16)}`,
        true,
      ]);
      if (!block) break;
      for (const t of block.transactions) lines.push({ b: b.toString(), h: t.hash, raw: rawTransaction(formatTransaction(t)) });
    }
    if (lines.length > 0) {
      const fd = openSync(this.path, "a");
      try {
        appendFileSync(fd, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    this.next = b;
  }

  async flush(): Promise<void> {
    await this.running;
    const head = BigInt(await rpcCall<Hex>(this.rpcUrl, "eth_blockNumber"));
    for (let i = 0; i < 1_000 && this.next <= head; i++) await this.poll();
  }

  async stop(opts: { flush: boolean }): Promise<void> {
    if (opts.flush) await this.flush().catch(() => undefined);
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }
}

async function waitForRpc(url: string, child: ChildProcess, output: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`hardhat node exited (${child.exitCode ?? child.signalCode}): ${output.slice(-10).join("\n")}`);
    try {
      await rpcCall(url, "eth_chainId");
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms: ${output.slice(-10).join("\n")}`);
}

/** Starts (or restarts, from its journal) the local chain in `dataDir`. About 3 s; the first start also compiles and deploys (~10 s). */
export async function startLocalChain(opts: StartLocalChainOptions): Promise<LocalChain> {
  const log = opts.log ?? (() => {});
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, "hardhat.pid");
  const journalPath = join(dataDir, "journal.jsonl");
  const statePath = join(dataDir, "chain.json");
  killOrphan(pidFile, log);

  const cli = join(dirname(require.resolve("hardhat/package.json")), "internal/cli/cli.js");
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [cli, "node", "--config", join(CHAIN_PACKAGE_DIR, "hardhat.config.cjs"), "--port", String(opts.port), "--hostname", "127.0.0.1"],
    {
      cwd: CHAIN_PACKAGE_DIR,
      env: {
        ...process.env,
        HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
        NO_COLOR: "1",
        LOCAL_CHAIN_ID: String(LOCAL_CHAIN_ID),
        // Interval mining starts after the replay (each replayed transaction gets its own block).
        LOCAL_CHAIN_BLOCK_MS: "0",
        HARDHAT_CACHE_DIR: join(dataDir, "hardhat-cache"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  // `hardhat node` prints every RPC method it serves: keep only the last lines, for errors.
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      output.push(...chunk.split("\n").filter(Boolean));
      if (output.length > 200) output.splice(0, output.length - 100);
    });
  }
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  if (child.pid) writeFileSync(pidFile, String(child.pid));
  const rpcUrl = `http://127.0.0.1:${opts.port}`;
  let follower: JournalFollower | undefined;
  const kill = async () => {
    await follower?.stop({ flush: false });
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    await waitForRpc(rpcUrl, child, output, 60_000);
    const rpc = <T>(method: string, params: unknown[] = []) => rpcCall<T>(rpcUrl, method, params);

    // Replay: the journal's transactions in order, each mined at once.
    let replayed = 0;
    if (existsSync(journalPath)) {
      const lines = readFileSync(journalPath, "utf8").split("\n").filter(Boolean);
      for (const text of lines) {
        let line: JournalLine;
        try {
          line = JSON.parse(text) as JournalLine;
        } catch {
          break; // a torn last line (a crash mid-append): everything before it was fsync'd
        }
        // Their fee caps were set against the base fee of their time; the replay's blocks
        // charge none, so every journaled transaction is accepted again.
        await rpc("hardhat_setNextBlockBaseFeePerGas", ["0x0"]);
        const hash = await rpc<Hex>("eth_sendRawTransaction", [line.raw]);
        if (hash !== line.h) throw new Error(`journal replay: ${line.h} came back as ${hash}`);
        replayed++;
      }
      if (replayed > 0) log(`local chain: replayed ${replayed} transaction(s) from the journal`);
    }
    const head = BigInt(await rpc<Hex>("eth_blockNumber"));
    follower = new JournalFollower(rpcUrl, journalPath, head + 1n, log);
    follower.start();

    let state: LocalChainState;
    if (existsSync(statePath)) {
      state = JSON.parse(readFileSync(statePath, "utf8")) as LocalChainState;
      const code = await rpc<Hex>("eth_getCode", [state.tokenAddress, "latest"]);
      if (code === "0x") {
        throw new Error(
          `the local chain's journal (${journalPath}) lacks the token ${state.tokenAddress}: delete ${dataDir} (and the database that paid on it) for a new chain`,
        );
      }
    } else {
      const payoutPrivateKey = generatePrivateKey();
      const payoutAddress = privateKeyToAccount(payoutPrivateKey).address;
      log("local chain: deploying the token (first start)...");
      const token = await deployToken({
        rpcUrl,
        chainId: LOCAL_CHAIN_ID,
        deployerKey: LOCAL_DEPLOYER_KEY,
        treasury: payoutAddress,
        supply: LOCAL_TOKEN_SUPPLY,
      });
      await sendNative({ rpcUrl, chainId: LOCAL_CHAIN_ID, fromKey: LOCAL_DEPLOYER_KEY, to: payoutAddress, wei: parseEther("100") });
      // The deployment must be in the journal before chain.json says it exists.
      await follower.flush();
      state = {
        chainId: LOCAL_CHAIN_ID,
        tokenAddress: token.address,
        payoutAddress,
        payoutPrivateKey,
        deployBlock: token.blockNumber.toString(),
      };
      const tmp = `${statePath}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
      renameSync(tmp, statePath);
    }
    if ((opts.blockMs ?? 1_000) > 0) await rpc("evm_setIntervalMining", [opts.blockMs ?? 1_000]);

    const f = follower;
    return {
      ...state,
      deployBlock: BigInt(state.deployBlock),
      rpcUrl,
      port: opts.port,
      dataDir,
      deployerKey: LOCAL_DEPLOYER_KEY,
      replayed,
      pid: child.pid ?? 0,
      rpc,
      flushJournal: () => f.flush(),
      kill,
      async stop() {
        await f.stop({ flush: true });
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
      },
    };
  } catch (err) {
    await kill();
    throw err;
  }
}

/** The state file of a local chain's data dir (the admin CLI reads it while `npm start` runs). */
export function readLocalChainState(dataDir: string): LocalChainState | null {
  const path = join(dataDir, "chain.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as LocalChainState) : null;
}
