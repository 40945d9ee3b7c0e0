// Generates the Prisma client after install. Prisma 7's CLI tries to download its Rust
// schema engine first and fails offline; generation itself is WASM, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets it run (shared/platform-notes.md).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = `${root}node_modules/prisma/build/index.js`;
if (!existsSync(cli) || !existsSync(`${root}prisma/schema.prisma`)) {
  console.log("postinstall: prisma CLI not installed yet, skipping generate");
  process.exit(0);
}
execFileSync(process.execPath, [cli, "generate", "--schema", "prisma/schema.prisma"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
