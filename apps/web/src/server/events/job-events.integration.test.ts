import { randomUUID } from "node:crypto";
import { sql, sqlTransactionScope } from "@proofgrid/db/sql-client";
import { afterAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { type JobEvent, jobEvents } from "./job-events.ts";

// The long-polls' wake-ups, through a real LISTEN connection: a NOTIFY on proofgrid_jobs (as
// the jobs trigger sends) wakes the waiters of its job and of its node, and only those.

setupServiceDatabase({ name: "job_events" });
afterAll(() => jobEvents.close());

const notify = (e: JobEvent) => sql().$executeRaw`SELECT pg_notify('proofgrid_jobs', ${JSON.stringify(e)})`;

describe("jobEvents.wait", () => {
  it("wakes the waiters of the event's job and node, checking no one else's filter, and forgets every waiter it ends", async () => {
    const job = randomUUID();
    const node = randomUUID();
    let othersChecked = 0;
    const others = Array.from({ length: 1_000 }, (_, i) =>
      jobEvents.wait({
        on: i % 2 === 0 ? { jobId: randomUUID() } : { nodeId: randomUUID() },
        filter: () => {
          othersChecked++;
          return true;
        },
        timeoutMs: 3_000,
      }),
    );
    const forJob = jobEvents.wait({ on: { jobId: job }, filter: (e) => e.state === "succeeded", timeoutMs: 10_000 });
    const forNode = jobEvents.wait({ on: { nodeId: node }, filter: (e) => e.state === "assigned", timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(jobEvents.waiting).toEqual({ jobs: 501, nodes: 501 });

    // Its node's event of another state passes the node's filter by: still waiting.
    await notify({ id: job, state: "running", node_id: node });
    await notify({ id: randomUUID(), state: "assigned", node_id: node });
    expect(await forNode).toBe(true);
    await notify({ id: job, state: "succeeded", node_id: node });
    expect(await forJob).toBe(true);
    expect(othersChecked).toBe(0);

    // Timed out: not woken, and gone from the hub.
    expect(new Set(await Promise.all(others))).toEqual(new Set([false]));
    expect(jobEvents.waiting).toEqual({ jobs: 0, nodes: 0 });
  });

  it("ends an aborted wait at once and forgets it", async () => {
    const abort = new AbortController();
    const waiting = jobEvents.wait({ on: { jobId: randomUUID() }, filter: () => true, timeoutMs: 60_000, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 20));
    expect(jobEvents.waiting.jobs).toBe(1);
    abort.abort();
    expect(await waiting).toBe(false);
    expect(jobEvents.waiting).toEqual({ jobs: 0, nodes: 0 });
  });

  it("keeps an event that comes between arming and waiting", async () => {
    await jobEvents.ensureStarted();
    const node = randomUUID();
    const armed = jobEvents.arm({ on: { nodeId: node }, filter: (e) => e.state === "assigned" });
    const other = jobEvents.arm({ on: { nodeId: randomUUID() }, filter: () => true });
    // The caller's read runs here; the assignment lands during it.
    await notify({ id: randomUUID(), state: "assigned", node_id: node });
    await new Promise((r) => setTimeout(r, 200));
    // Kept: a wait of 0 ms finds it (a wait registered only now would have missed it).
    expect(await armed.wait(0)).toBe(true);
    // Another node's wait saw nothing, and cancelling it forgets it.
    other.cancel();
    expect(await other.wait(30_000)).toBe(false);
    armed.cancel();
    expect(jobEvents.waiting).toEqual({ jobs: 0, nodes: 0 });
  });
});

/** Every event of `job` delivered to subscribers, in order, until `unsubscribe`. */
async function watch(job: string): Promise<{ seen: JobEvent[]; unsubscribe: () => void }> {
  await jobEvents.ensureStarted();
  const seen: JobEvent[] = [];
  const unsubscribe = await jobEvents.subscribe((e) => {
    if (e.id === job) seen.push(e);
  });
  return { seen, unsubscribe };
}

describe("jobEvents.deliverLocal", () => {
  it("delivers a committed event at once, and its NOTIFY, when it comes back, not a second time", async () => {
    const job = randomUUID();
    const node = randomUUID();
    const { seen, unsubscribe } = await watch(job);
    try {
      const assigned: JobEvent = { id: job, state: "assigned", node_id: node };
      jobEvents.deliverLocal(assigned);
      // Delivered in the call, before any round trip.
      expect(seen).toEqual([assigned]);
      await notify(assigned);
      // A later change of the same job is news: delivered.
      const succeeded: JobEvent = { id: job, state: "succeeded", node_id: node };
      await notify(succeeded);
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(2);
      expect(seen).toEqual([assigned, succeeded]);

      // Twice assigned to the same node (an offer lapsed, then offered again): each local
      // delivery swallows one echo, no more.
      jobEvents.deliverLocal(assigned);
      jobEvents.deliverLocal(assigned);
      await notify(assigned);
      await notify(assigned);
      await notify(assigned);
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(5);
      // A marker NOTIFY sent after them all has come back: nothing more is on its way.
      const marker: JobEvent = { id: job, state: "failed", node_id: null };
      await notify(marker);
      await expect.poll(() => seen.at(-1), { timeout: 5_000 }).toEqual(marker);
      expect(seen).toEqual([assigned, succeeded, assigned, assigned, assigned, marker]);
    } finally {
      unsubscribe();
    }
  });

  it("delivers an event once when its NOTIFY is read before the committing call delivers it locally", async () => {
    const job = randomUUID();
    const { seen, unsubscribe } = await watch(job);
    try {
      const queued: JobEvent = { id: job, state: "queued", node_id: null };
      // The commit's NOTIFY is handled first (the LISTEN socket read before the query's answer).
      await notify(queued);
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(1);
      // Then the committing call delivers its twin: already delivered, not again.
      jobEvents.deliverLocal(queued);
      expect(seen).toEqual([queued]);
      // A later event of the same key is news: delivered, and its own echo swallowed.
      jobEvents.deliverLocal(queued);
      expect(seen).toEqual([queued, queued]);
      await notify(queued);
      const marker: JobEvent = { id: job, state: "failed", node_id: null };
      await notify(marker);
      await expect.poll(() => seen.at(-1), { timeout: 5_000 }).toEqual(marker);
      expect(seen).toEqual([queued, queued, marker]);
    } finally {
      unsubscribe();
    }
  });

  it("delivers nothing from inside a transaction: nothing is committed yet, and its NOTIFY comes at the commit", async () => {
    const job = randomUUID();
    const { seen, unsubscribe } = await watch(job);
    try {
      const queued: JobEvent = { id: job, state: "queued", node_id: null };
      await sqlTransactionScope(async (tx) => {
        jobEvents.deliverLocal(queued);
        expect(seen).toEqual([]);
        await tx.$executeRaw`SELECT pg_notify('proofgrid_jobs', ${JSON.stringify(queued)})`;
      });
      // Not swallowed as an echo: the commit's NOTIFY is the one delivery.
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(1);
      expect(seen).toEqual([queued]);
    } finally {
      unsubscribe();
    }
  });
});
