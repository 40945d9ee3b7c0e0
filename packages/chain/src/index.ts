// The light parts, safe for the web app's bundle. The compiler (compile.ts, ~9 MB of solc),
// deployment (deploy.ts) and the local Hardhat node (local/local-chain.ts) are imported by
// path: `@proofgrid/chain/compile`, `@proofgrid/chain/deploy`, `@proofgrid/chain/local/local-chain`.
export * from "./clients.ts";
export * from "./config.ts";
export * from "./raw-transaction.ts";
