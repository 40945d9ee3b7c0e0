import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { jobEvents } from "../../events/job-events.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { type Dispatcher, runDispatcher, type TickResult } from "./dispatcher.ts";

// When the dispatch loop runs a round (issue 15): a job queued always wakes one; a job that
// ends (a slot frees) wakes one only while the last round left jobs waiting; the polling
// fallback stays. A quiet network's completions then cost no round.

setupServiceDatabase({ name: "run_dispatcher", env: { DISPATCH_INTERVAL_MS: "60000" } });

/** A dispatcher whose rounds answer what the test says, counting them. */
function scripted(answers: Partial<TickResult>[]) {
  let rounds = 0;
  const stub = {
    async tick(): Promise<TickResult> {
      const a = answers[Math.min(rounds, answers.length - 1)];
      rounds++;
      return { placed: 0, queued: 0, workers: 1, backlog: false, ...a };
    },
    noteLapse() {},
  };
  return { dispatcher: stub as unknown as Dispatcher, rounds: () => rounds };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe("runDispatcher", () => {
  it("runs a round for every job queued, and for a job that ends only while jobs wait", async () => {
    await jobEvents.ensureStarted();
    // Round 1 (start) finds the queue empty; round 2 places one and leaves others waiting;
    // round 3 places the rest.
    const s = scripted([{ backlog: false }, { placed: 1, queued: 3, backlog: true }, { placed: 2, queued: 2, backlog: false }]);
    const stop = new AbortController();
    const loop = runDispatcher({ signal: stop.signal, dispatcher: s.dispatcher });
    try {
      await expect.poll(s.rounds).toBe(1);
      const node = randomUUID();
      // Nothing waits: jobs that end cost no round.
      jobEvents.deliverLocal({ id: randomUUID(), state: "succeeded", node_id: node });
      jobEvents.deliverLocal({ id: randomUUID(), state: "failed", node_id: node });
      await settle();
      expect(s.rounds()).toBe(1);
      // Our own offers and running jobs never do.
      jobEvents.deliverLocal({ id: randomUUID(), state: "assigned", node_id: node });
      jobEvents.deliverLocal({ id: randomUUID(), state: "running", node_id: node });
      await settle();
      expect(s.rounds()).toBe(1);
      // A job queued always does; this round leaves jobs waiting (backlog).
      jobEvents.deliverLocal({ id: randomUUID(), state: "queued", node_id: null });
      await expect.poll(s.rounds).toBe(2);
      // Now a slot that frees is worth a round: it places the rest.
      jobEvents.deliverLocal({ id: randomUUID(), state: "succeeded", node_id: node });
      await expect.poll(s.rounds).toBe(3);
      // Nothing waits again.
      jobEvents.deliverLocal({ id: randomUUID(), state: "succeeded", node_id: node });
      await settle();
      expect(s.rounds()).toBe(3);
    } finally {
      stop.abort();
      await loop;
    }
  });
});
