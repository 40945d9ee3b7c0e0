// The local chain's Hardhat Network (`hardhat node`), started by src/local/local-chain.ts.
// Hardhat compiles nothing here: the token is compiled with solc from npm (src/compile.ts).
const blockMs = Number(process.env.LOCAL_CHAIN_BLOCK_MS ?? 1000);
module.exports = {
  paths: {
    sources: "./hardhat-sources-unused",
    cache: process.env.HARDHAT_CACHE_DIR ?? "./.hardhat-cache",
    artifacts: process.env.HARDHAT_CACHE_DIR ?? "./.hardhat-cache",
  },
  networks: {
    hardhat: {
      chainId: Number(process.env.LOCAL_CHAIN_ID ?? 31337),
      mining: { auto: true, interval: blockMs > 0 ? blockMs : 0 },
      // A reverted transaction is mined and answered with its hash, as on a real network
      // (Hardhat's default answers eth_sendRawTransaction with an error when it reverts).
      throwOnTransactionFailures: false,
    },
  },
};
