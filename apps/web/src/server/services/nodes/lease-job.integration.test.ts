import { setTimeout as sleep } from "node:timers/promises";
import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import type { LeasedJob } from "@proofgrid/por";
import { describe, expect, it } from "vitest";
import { db } from "../../db.ts";
import {
  completeAs,
  ENCODER,
  encoderOutput,
  jobRow,
  refusal,
  setupEncoderMarket,
  type TestWorker,
  transfersOf,
} from "../../testing/job-fixtures.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { cancelJob } from "../jobs/cancel-job.ts";
import { sweepLeases } from "../jobs/sweep-leases.ts";
import { nodeHeldCode } from "../verification/exposure.ts";
import { idleLesseeCount } from "./idle-lessees.ts";
import { leaseJob } from "./lease-job.ts";

// The lease path against a real Postgres: the dispatcher offers a job to one worker, that
// worker's lease claims it once (attempt 1, the fencing token), nobody else can take it, and
// after its lease runs out the sweeper puts it back so that the next lease is attempt 2 and
// the stale holder's result is refused and never paid.

/** The shortest lease the platform allows, so a test can watch one run out. */
const LEASE_MS = 1_000;

setupServiceDatabase({
  name: "lease",
  env: {
    LEASE_DURATION_MS: String(LEASE_MS),
    POR_STAKE_REQUIRED: "0",
    POR_CHALLENGES: "0",
    PRICE_PER_CU_BASE_UNITS: "50000",
    // A waiting long-poll looks again only after this: it stays idle while a test places.
    JOB_POLL_FALLBACK_MS: "30000",
  },
});

const market = setupEncoderMarket();
/** One dispatch round; a new placer each time, so no lapse cooldown carries over. */
const dispatch = async () => (await new Dispatcher().tick()).placed;
const lease = (w: TestWorker) => leaseJob({ node: w.identity, waitMs: 0 });

/** The customer's balances and what the worker was paid (its held earnings). */
async function money(w: TestWorker) {
  const codes = [orgAccountCode(market.customer, "available"), orgAccountCode(market.customer, "held"), nodeHeldCode(w.identity.id)];
  const b = await getBalances(sql(), codes);
  return codes.map((c) => b.get(c) ?? 0n);
}

/** Until `n` lease long-polls of this process wait idle. */
async function untilIdle(n: number): Promise<void> {
  for (let i = 0; idleLesseeCount() !== n; i++) {
    if (i > 500) throw new Error(`${idleLesseeCount()} idle long-polls, not ${n}`);
    await sleep(10);
  }
}

/** Waits out the job's lease (as a dead worker would) and runs the sweeper. */
async function expireLease(jobId: string): Promise<void> {
  const until = (await jobRow(jobId)).leaseExpiresAt;
  if (!until) throw new Error(`job ${jobId} holds no lease`);
  await sleep(Math.max(0, until.getTime() - Date.now()) + 100);
  await sweepLeases();
}

describe("leaseJob", () => {
  it("leases a job the dispatcher assigned to the node once, at attempt 1, with a lease of LEASE_DURATION_MS", async () => {
    const w = await market.worker({ maxConcurrency: 2 });
    const id = await market.submit("lease me");
    // Queued but not yet offered to it: nothing to lease.
    expect(await lease(w)).toBeNull();
    expect(await dispatch()).toBe(1);
    expect(await jobRow(id)).toMatchObject({ state: "assigned", nodeId: w.identity.id, attempt: 0 });

    const leased = await lease(w);
    expect(leased).toMatchObject({
      jobId: id,
      attempt: 1,
      modelId: market.modelId,
      modelSlug: ENCODER,
      input: { text: "lease me" },
      leaseMs: LEASE_MS,
    });
    const row = await jobRow(id);
    expect(row).toMatchObject({ state: "running", attempt: 1, nodeId: w.identity.id });
    expect(row.attempts).toEqual([{ attempt: 1, nodeId: w.identity.id, outcome: "leased" }]);
    const expires = row.leaseExpiresAt?.getTime() ?? 0;
    expect(Math.abs(expires - new Date(leased?.leaseExpiresAt ?? 0).getTime())).toBeLessThanOrEqual(1);
    expect(Math.abs(expires - (row.startedAt?.getTime() ?? 0) - LEASE_MS)).toBeLessThanOrEqual(1);

    // Leased once: the node's other slot finds nothing, and the attempt stays 1.
    expect(await lease(w)).toBeNull();
    expect(await jobRow(id)).toMatchObject({ state: "running", attempt: 1 });
  });

  it("leases a job to the node's waiting long-poll in the statement that places it, as its claim would", async () => {
    const w = await market.worker({ maxConcurrency: 2 });
    const waiting = leaseJob({ node: w.identity, waitMs: 20_000 });
    await untilIdle(1);
    const id = await market.submit("straight to you");
    expect(await dispatch()).toBe(1);
    const leased = await waiting;
    expect(leased).toMatchObject({ jobId: id, attempt: 1, modelSlug: ENCODER, input: { text: "straight to you" }, leaseMs: LEASE_MS });
    expect(idleLesseeCount()).toBe(0);
    const row = await jobRow(id);
    expect(row).toMatchObject({ state: "running", attempt: 1, nodeId: w.identity.id });
    expect(row.attempts).toEqual([{ attempt: 1, nodeId: w.identity.id, outcome: "leased" }]);
    // Placed and leased at one instant (one statement, to the microsecond), the lease LEASE_MS from it.
    const [same] = await sql().$queryRaw<{ same: boolean }[]>`SELECT started_at = assigned_at AS same FROM jobs WHERE id = ${id}::uuid`;
    expect(same?.same).toBe(true);
    expect((row.leaseExpiresAt?.getTime() ?? 0) - (row.startedAt?.getTime() ?? 0)).toBe(LEASE_MS);
    // Leased once: the node's other slot finds nothing; its holder completes it and is paid once.
    expect(await lease(w)).toBeNull();
    expect((await completeAs(w, { id, attempt: 1 }, encoderOutput(1))).status).toBe("accepted");
    expect(await transfersOf(id)).toEqual(["hold", "settle"]);
  });

  it("offers the second job of a round to a node with one long-poll waiting, and a wait that ends leaves no trace", async () => {
    const w = await market.worker({ maxConcurrency: 2 });
    const waiting = leaseJob({ node: w.identity, waitMs: 20_000 });
    await untilIdle(1);
    const ids = [await market.submit("one"), await market.submit("two")];
    expect(await dispatch()).toBe(2);
    const first = await waiting;
    expect(first?.jobId).toBe(ids[0]);
    expect(await jobRow(ids[1] as string)).toMatchObject({ state: "assigned", nodeId: w.identity.id, attempt: 0 });
    expect((await lease(w))?.jobId).toBe(ids[1]);
    // A long-poll that waits out its time is no longer idle: nothing is leased to a request gone.
    expect(await leaseJob({ node: w.identity, waitMs: 150 })).toBeNull();
    expect(idleLesseeCount()).toBe(0);
    for (const id of ids) await cancelJob({ orgId: market.customer, jobId: id });
  });

  it("hands back a job leased to a long-poll whose worker hung up while the placing statement ran", async () => {
    const w = await market.worker();
    const hangUp = new AbortController();
    const waiting = leaseJob({ node: w.identity, waitMs: 20_000, signal: hangUp.signal });
    await untilIdle(1);
    const id = await market.submit("nobody home");
    // The job's row held by another transaction: the placing statement waits on it.
    let unlock!: () => void;
    const locked = new Promise<void>((r) => {
      unlock = r;
    });
    let lockTaken!: () => void;
    const taken = new Promise<void>((r) => {
      lockTaken = r;
    });
    const holder = db().$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM jobs WHERE id = ${id}::uuid FOR UPDATE`;
        lockTaken();
        await locked;
      },
      { timeout: 20_000 },
    );
    await taken;
    const round = dispatch();
    // The round took the waiting long-poll (it is no longer idle) and waits on the row.
    for (let i = 0; idleLesseeCount() !== 0; i++) {
      if (i > 500) throw new Error("the round never took the long-poll");
      await sleep(10);
    }
    hangUp.abort();
    unlock();
    await holder;
    expect(await round).toBe(1);
    expect(await waiting).toBeNull();
    // Leased to the gone request, then handed straight back: queued again, its attempt released.
    expect(await jobRow(id)).toMatchObject({
      state: "queued",
      nodeId: null,
      attempts: [{ attempt: 1, nodeId: w.identity.id, outcome: "released" }],
    });
    await cancelJob({ orgId: market.customer, jobId: id });
  });

  it("never gives one job to two of a node's slots leasing at the same time", async () => {
    const w = await market.worker({ maxConcurrency: 4 });
    // A race is lost only now and then (without SKIP LOCKED, about three rounds in four): several rounds.
    for (let round = 0; round < 5; round++) {
      const ids: string[] = [];
      for (const name of ["a", "b", "c", "d"]) ids.push(await market.submit(`${name}${round}`));
      expect(await dispatch()).toBe(4);

      // Twice as many slots asking as there are jobs, all at once.
      const leases = await Promise.all(Array.from({ length: 8 }, () => lease(w)));
      const got = leases.filter((j): j is LeasedJob => j !== null);
      expect(got.map((j) => j.jobId).sort()).toEqual([...ids].sort());
      expect(got.map((j) => j.attempt)).toEqual([1, 1, 1, 1]);
      for (const id of ids)
        expect(await jobRow(id)).toMatchObject({ state: "running", attempt: 1, attempts: [{ attempt: 1, outcome: "leased" }] });
      // The customer cancels them: the slots are free for the next round.
      for (const id of ids) await cancelJob({ orgId: market.customer, jobId: id });
    }
  });

  it("does not let another node lease a job assigned to someone else", async () => {
    const a = await market.worker();
    const b = await market.worker();
    const id = await market.submit("mine");
    expect(await dispatch()).toBe(1);
    const assignedTo = (await jobRow(id)).nodeId;
    const [holder, other] = assignedTo === a.identity.id ? [a, b] : [b, a];
    expect(assignedTo).toBe(holder.identity.id);

    expect(await lease(other)).toBeNull();
    expect(await jobRow(id)).toMatchObject({ state: "assigned", nodeId: holder.identity.id, attempt: 0 });
    expect((await lease(holder))?.jobId).toBe(id);
    // Nor once it runs, and the other cannot complete it either.
    expect(await lease(other)).toBeNull();
    const err = await refusal(completeAs(other, { id, attempt: 1 }, encoderOutput(1)));
    expect(err.code).toBe("CONFLICT");
    expect(await jobRow(id)).toMatchObject({ state: "running", nodeId: holder.identity.id, attempt: 1 });
  });

  it("requeues a job whose lease ran out; the next lease is attempt 2 and the stale attempt's result is refused and not paid", async () => {
    const w = await market.worker();
    const id = await market.submit("slow");
    expect(await dispatch()).toBe(1);
    expect((await lease(w))?.attempt).toBe(1);
    const before = await money(w);

    await expireLease(id);
    // Back in the queue, off the node; the attempt number moves at the next lease.
    expect(await jobRow(id)).toMatchObject({
      state: "queued",
      nodeId: null,
      attempt: 1,
      leaseExpiresAt: null,
      attempts: [{ attempt: 1, nodeId: w.identity.id, outcome: "expired" }],
    });
    const stale = await refusal(completeAs(w, { id, attempt: 1 }, encoderOutput(1)));
    expect(stale.code).toBe("CONFLICT");
    expect(await money(w)).toEqual(before);

    expect(await dispatch()).toBe(1);
    expect((await lease(w))?.attempt).toBe(2);
    // The same node now holds attempt 2: a result for attempt 1 is still refused.
    const fenced = await refusal(completeAs(w, { id, attempt: 1 }, encoderOutput(1)));
    expect(fenced.code).toBe("CONFLICT");
    expect(fenced.details).toEqual({ state: "running", attempt: 2 });
    expect(await money(w)).toEqual(before);
    expect(await transfersOf(id)).toEqual(["hold"]);

    // The current attempt is accepted and paid, once.
    expect((await completeAs(w, { id, attempt: 2 }, encoderOutput(1))).status).toBe("accepted");
    const [, heldAfter, earned] = await money(w);
    expect(heldAfter).toBeLessThan(before[1] ?? 0n);
    expect(earned).toBeGreaterThan(before[2] ?? 0n);
    expect(await transfersOf(id)).toEqual(["hold", "settle"]);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("fails a job whose lease runs out on every attempt and gives the customer its hold back", async () => {
    const w = await market.worker();
    const before = await money(w);
    const id = await market.submit("cursed");
    const { maxAttempts, price } = await jobRow(id);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      expect(await dispatch()).toBe(1);
      expect((await lease(w))?.attempt).toBe(attempt);
      await expireLease(id);
      expect((await jobRow(id)).state).toBe(attempt < maxAttempts ? "queued" : "failed");
    }
    expect(await jobRow(id)).toMatchObject({ state: "failed", attempt: maxAttempts, error: "lease expired on every attempt" });
    expect(await money(w)).toEqual(before);
    expect(await transfersOf(id)).toEqual(["hold", "release"]);
    expect(price).toBeGreaterThan(0n);
    // Nothing left to lease.
    expect(await dispatch()).toBe(0);
    expect(await lease(w)).toBeNull();
  });
});
