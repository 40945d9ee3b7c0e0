import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { holdLeadership } from "./leadership.ts";

// One placer at a time (issue 15): every process that may run the dispatcher stands for the
// same advisory lock; only its holder leads, and another takes over when it stops.

setupServiceDatabase({ name: "leadership", env: { LEADER_RETRY_MS: "100" } });

describe("holdLeadership", () => {
  it("lets one candidate of a lock lead at a time, and another take over when it stops", async () => {
    const KEY = 7_264_099;
    let leading = 0;
    let most = 0;
    const led: string[] = [];
    const candidates = ["a", "b", "c"].map((name) => {
      const stop = new AbortController();
      const done = holdLeadership({
        lockKey: KEY,
        name: `test-${name}`,
        signal: stop.signal,
        lead: async (signal) => {
          leading++;
          most = Math.max(most, leading);
          led.push(name);
          if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
          leading--;
        },
      });
      return { name, stop, done };
    });
    await expect.poll(() => led.length, { timeout: 5_000 }).toBe(1);
    await sleep(400); // several retries of the others: still one leader
    expect(led.length).toBe(1);
    // The leader stops: one of the others leads within a retry or two.
    const first = candidates.find((c) => c.name === led[0]);
    first?.stop.abort();
    await first?.done;
    await expect.poll(() => led.length, { timeout: 5_000 }).toBe(2);
    await sleep(400);
    expect(led.length).toBe(2);
    expect(led[1]).not.toBe(led[0]);
    for (const c of candidates) c.stop.abort();
    await Promise.all(candidates.map((c) => c.done));
    expect(most).toBe(1);
  });
});
