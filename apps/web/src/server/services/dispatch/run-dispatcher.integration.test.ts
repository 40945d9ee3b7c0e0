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
      return { placed: 0, placedIds: [], queued: 0, workers: 1, backlog: false, ...a };
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

describe("runDispatcher with every slot taken", () => {
  it("counts jobs as waiting after a round that could not read the queue only if a job it did not place was queued since", async () => {
    await jobEvents.ensureStarted();
    const first = randomUUID();
    let release: (() => void) | undefined;
    let rounds = 0;
    // Round 1 places `first`, and its queued event comes while the round runs; then every
    // slot is taken (the queue unread) until round 4 finds one free.
    const stub = {
      async tick(): Promise<TickResult> {
        rounds++;
        if (rounds === 1) {
          await new Promise<void>((r) => {
            release = r;
          });
          return { placed: 1, placedIds: [first], queued: 1, workers: 1, backlog: false };
        }
        if (rounds === 4) return { placed: 1, placedIds: [], queued: 1, workers: 1, backlog: false };
        return { placed: 0, placedIds: [], queued: -1, workers: 1, backlog: null };
      },
      noteLapse() {},
    };
    const stop = new AbortController();
    const loop = runDispatcher({ signal: stop.signal, dispatcher: stub as unknown as Dispatcher });
    try {
      await expect.poll(() => release !== undefined).toBe(true);
      jobEvents.deliverLocal({ id: first, state: "queued", node_id: null });
      release?.();
      // Its event wakes round 2: no slot free, and the only job queued since is the one
      // round 1 placed, so nothing waits.
      await expect.poll(() => rounds).toBe(2);
      const node = randomUUID();
      jobEvents.deliverLocal({ id: first, state: "succeeded", node_id: node });
      await settle();
      expect(rounds).toBe(2);
      // The job is handed back (its worker shut down): queued again between rounds, so news
      // although round 1 placed it. Every slot is taken: it waits...
      jobEvents.deliverLocal({ id: first, state: "queued", node_id: null });
      await expect.poll(() => rounds).toBe(3);
      // ...so the slot that frees is worth a round, which places it.
      jobEvents.deliverLocal({ id: randomUUID(), state: "succeeded", node_id: node });
      await expect.poll(() => rounds).toBe(4);
      jobEvents.deliverLocal({ id: randomUUID(), state: "succeeded", node_id: node });
      await settle();
      expect(rounds).toBe(4);
    } finally {
      stop.abort();
      await loop;
    }
  });
});
