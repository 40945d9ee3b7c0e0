import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closePgPool } from "@proofgrid/db/sql-client";
import { createTestDatabase } from "@proofgrid/db/testing/create-test-database";
import { afterAll, beforeAll, expect, it } from "vitest";

// The explorer's feed (GET /api/v1/network/live) against a real Postgres: it answered 500
// ("operator does not exist: timestamp without time zone >= interval") when the horizon was
// sent untyped, and the explorer's map stayed empty.

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), "proofgrid-live-"));
  process.env.DATABASE_URL = t.url;
  process.env.PROOFGRID_DATA_DIR = dataDir;
});
afterAll(async () => {
  await closePgPool();
  await t?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("answers for an empty network: nothing online, no jobs", async () => {
  const { getLiveNetwork } = await import("./get-live-network.ts");
  const live = await getLiveNetwork();
  expect(live).toMatchObject({ nodesOnline: 0, cuPerHourOnline: 0, jobsPerMinute: 0, jobsQueued: 0 });
  expect(Array.isArray(live.regions)).toBe(true);
});
