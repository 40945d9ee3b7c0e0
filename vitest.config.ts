import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The web app's `~/` import alias (apps/web/tsconfig.json), so integration tests can call
// route handlers (`apps/web/src/app/api/**/route.ts`) directly with a Request.
const webAlias = [{ find: /^~\//, replacement: fileURLToPath(new URL("./apps/web/src/", import.meta.url)) }];

// Four projects: pure unit tests (no database), integration tests against a real
// Postgres (one fresh database per file, cloned from a migrated template), end-to-end
// tests that start real processes (web server, workers), and browser tests that drive
// the web app in chromium on top of the same processes.
export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: webAlias },
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
          // Hooks that load ONNX models (tampered-models.test.ts) took over the 10 s default
          // when the suite's other files held both cores.
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias: webAlias },
        test: {
          name: "integration",
          // The web app's "~/" (apps/web/tsconfig.json), so a test can call a route handler itself.
          alias: { "~/": new URL("./apps/web/src/", import.meta.url).pathname },
          include: ["packages/*/src/**/*.integration.test.ts", "apps/*/src/**/*.integration.test.ts"],
          globalSetup: ["packages/db/src/testing/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          globalSetup: ["packages/db/src/testing/global-setup.ts", "tests/e2e/build-web.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Real chromium (Debian's, /usr/bin/chromium) against the same stack as e2e.
        test: {
          name: "browser",
          include: ["tests/browser/**/*.test.ts"],
          globalSetup: ["packages/db/src/testing/global-setup.ts", "tests/e2e/build-web.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
