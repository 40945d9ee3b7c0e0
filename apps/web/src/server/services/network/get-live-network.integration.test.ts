import { expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";

// The explorer's feed (GET /api/v1/network/live) against a real Postgres: it answered 500
// ("operator does not exist: timestamp without time zone >= interval") when the horizon was
// sent untyped, and the explorer's map stayed empty.

setupServiceDatabase({ name: "live" });

it("answers for an empty network: nothing online, no jobs", async () => {
  const { getLiveNetwork } = await import("./get-live-network.ts");
  const live = await getLiveNetwork();
  expect(live).toMatchObject({ nodesOnline: 0, cuPerHourOnline: 0, jobsPerMinute: 0, jobsQueued: 0 });
  expect(Array.isArray(live.regions)).toBe(true);
});
