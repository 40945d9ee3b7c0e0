/**
 * Compiles the repository's Solidity contracts with solc from npm (its bundled soljson.js:
 * offline), OpenZeppelin's sources resolved from node_modules. The bytecode is never
 * committed: it is built from the sources and cached under node_modules/.cache, keyed by
 * the sha256 of the compiler version, the settings and every source file read, so a change
 * to any of them compiles again. Measured here: a cold compile of ProofgridToken takes
 * 4–6 s (solc-js loads ~9 MB of asm.js); a cached one reads a small JSON file.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

const require = createRequire(import.meta.url);
export const CONTRACTS_DIR = resolve(fileURLToPath(new URL("../contracts", import.meta.url)));
const CACHE_DIR = resolve(fileURLToPath(new URL("../../../node_modules/.cache/proofgrid-chain", import.meta.url)));

/** Solidity settings: fixed, so the same sources give the same bytecode on every machine. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // Cancun: what Hardhat 2.28's network runs and what Arbitrum One supports (ArbOS 20+).
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
} as const;

export interface CompiledContract {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
  /** sha256 over compiler version, settings and sources: the cache key. */
  sourceHash: string;
  solcVersion: string;
}

interface SolcOutput {
  errors?: { severity: "error" | "warning" | "info"; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

function solcVersion(): string {
  return (require("solc/package.json") as { version: string }).version;
}

/** Reads a source by import path: the repo's contracts first, then node_modules packages. */
function readSource(path: string): string {
  const local = join(CONTRACTS_DIR, path);
  if (existsSync(local)) return readFileSync(local, "utf8");
  // "@openzeppelin/contracts/token/ERC20/ERC20.sol": resolve the package, then the file.
  const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)\/(.+)$/.exec(path);
  if (!m?.[1] || !m[2]) throw new Error(`cannot resolve Solidity import ${path}`);
  const pkgDir = dirname(require.resolve(`${m[1]}/package.json`));
  return readFileSync(join(pkgDir, m[2]), "utf8");
}

/** Every source reachable from `entry` (import closure), for the cache key and solc's input. */
function collectSources(entry: string): Map<string, string> {
  const sources = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (sources.has(path)) continue;
    if (sources.size > 500) throw new Error("more than 500 Solidity sources: an import loop?");
    const text = readSource(path);
    sources.set(path, text);
    for (const m of text.matchAll(/^\s*import\s+(?:[^"']*from\s+)?["']([^"']+)["']/gm)) {
      const imported = m[1] as string;
      queue.push(imported.startsWith(".") ? join(dirname(path), imported).replaceAll("\\", "/") : imported);
    }
  }
  return sources;
}

/**
 * Compiles `file` (a path under packages/chain/contracts, e.g. "ProofgridToken.sol") and
 * returns `contractName`'s ABI and creation bytecode, from the cache when nothing changed.
 */
export function compileContract(file: string, contractName: string): CompiledContract {
  const sources = collectSources(file);
  const version = solcVersion();
  const h = createHash("sha256").update(version).update(JSON.stringify(SOLC_SETTINGS));
  for (const [path, text] of [...sources].sort(([a], [b]) => a.localeCompare(b))) h.update(path).update("\0").update(text);
  const sourceHash = h.digest("hex");
  const cachePath = join(CACHE_DIR, `${contractName}-${sourceHash}.json`);
  if (existsSync(cachePath)) return JSON.parse(readFileSync(cachePath, "utf8")) as CompiledContract;

  const solc = require("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: Object.fromEntries([...sources].map(([path, content]) => [path, { content }])),
    settings: SOLC_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc ${version} failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const out = output.contracts?.[file]?.[contractName];
  if (!out?.evm.bytecode.object) throw new Error(`solc produced no bytecode for ${contractName} in ${file}`);
  const compiled: CompiledContract = {
    contractName,
    abi: out.abi,
    bytecode: `0x${out.evm.bytecode.object}`,
    sourceHash,
    solcVersion: version,
  };
  mkdirSync(CACHE_DIR, { recursive: true });
  // Write then rename: a concurrent start never reads half a file.
  const tmp = `${cachePath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(compiled));
  renameSync(tmp, cachePath);
  return compiled;
}

/** The token the platform deploys on its local chain. */
export function compileProofgridToken(): CompiledContract {
  return compileContract("ProofgridToken.sol", "ProofgridToken");
}
