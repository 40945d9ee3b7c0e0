import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { splitReward } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerOrg, providerOrg } from "../support/orgs.ts";
import { api, type Stack, startStack, type WorkerHandle } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// Renting GPU time on the real stack: a provider's worker reserved by the demo startup,
// its jobs placed there first and charged nothing per job, the reservation billed by the
// (4-second) period through the ledger, a real outage (the worker process stopped until
// the coordinator marks it offline, then started again) credited, and an early release.

interface Invoice {
  periodStart: string;
  periodEnd: string;
  gross: string;
  outageCredit: string;
  charged: string;
  downtimeMs: string;
}
interface Reservation {
  id: string;
  status: string;
  region: string;
  pricePerCu: string;
  model: string | null;
  startsAt: string;
  endsAt: string;
  billedUntil: string;
  releasedAt: string | null;
  held: string;
  returned: string;
  billed: { gross: string; outageCredit: string; charged: string; downtimeMs: string };
  nodes: { id: string; region: string; cuPerHour: number; online: boolean }[];
  invoices: Invoice[];
}
interface Job {
  id: string;
  state: string;
  price: string;
  unitPrice: string | null;
  reservationId: string | null;
  workerId: string | null;
  placement: { via: string; decidedAt: string } | null;
}
interface ApiError {
  error: { code: string; message: string };
}

const MODEL = "encoder-synthetic-minilm";
const PERIOD_MS = 4_000;
// Not the coordinator's minimum (5 s): a node's last_seen_at is written at most every 5 s
// and an idle worker heartbeats every 5 s, so a healthy worker can go ~10 s between
// recorded contacts. At 5 s it would be marked offline (and credited) while serving.
const OFFLINE_AFTER_MS = 12_000;
const WINDOW_MS = 180_000;
const ASK = 40_000n;
// 3600 CU/h × 40 000 per CU-hour = 40 base units per millisecond: every bill is exact.
const PER_MS = (3600n * ASK) / 3_600_000n;

let stack: Stack;
let provider: string;
let worker: WorkerHandle;
let other: { id: string; key: string };
let reservation: Reservation;
const jobs: { own: Job[]; other: Job | null } = { own: [], other: null };

beforeAll(async () => {
  stack = await startStack({
    env: {
      RESERVATION_BILLING_PERIOD_MS: String(PERIOD_MS),
      NODE_OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS),
      MAINTENANCE_INTERVAL_MS: "1000",
    },
  });
  provider = await providerOrg("rental-gpus", { licence: false });
  worker = await stack.addWorker("rented", {}, { orgId: provider, askPricePerCu: Number(ASK) });
  other = await customerOrg("other-co");
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const customer = () => stack.seed.customerOrgId;
const balance = async (code: string) => (await getBalances(sql(), [code])).get(code) ?? 0n;
const nodeStatus = async (id: string) =>
  (await sql().$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM nodes WHERE id = ${id}::uuid`)[0]?.status;
const outages = () =>
  sql().$queryRaw<{ started_at: Date; ended_at: Date | null }[]>`
    SELECT started_at, ended_at FROM node_outages WHERE node_id = ${worker.nodeId}::uuid ORDER BY started_at`;
const state = async () => ({
  transfers: (await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ledger_transfers`)[0]?.n,
  reservations: (await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM reservations`)[0]?.n,
  available: await balance(orgAccountCode(customer(), "available")),
});
const get = async (key?: string) => api<Reservation>(stack, `/api/v1/reservations/${reservation.id}`, { key });
const booking = (over: Record<string, unknown> = {}) => ({
  region: "local",
  minCuPerHour: 1000,
  count: 1,
  model: MODEL,
  hours: WINDOW_MS / 3_600_000,
  idempotencyKey: "e2e-rent-1",
  ...over,
});

describe("reservations on the real stack", () => {
  it("refuses bad input with a clear 4xx, and changes nothing", async () => {
    const before = await state();
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ region: "atlantis" }, 400, /unknown region/],
      [{ count: 0 }, 400, /count/],
      [{ count: 65 }, 400, /count/],
      [{ hours: 0 }, 400, /hours/],
      [{ model: "no-such-model" }, 400, /unknown model/],
      [{ count: 2 }, 409, /only 1 of the 2 requested workers/],
      [{ region: "eu-central" }, 409, /only 0 of the 1/],
      // 3600 CU/h × 40 000 × 720 h = 103 680 tokens; the demo startup has 1 000.
      [{ hours: 720 }, 402, /insufficient credits/],
    ];
    for (const [over, status, message] of cases) {
      const res = await api<ApiError>(stack, "/api/v1/reservations", {
        body: booking({ ...over, idempotencyKey: `bad-${JSON.stringify(over)}` }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await api(stack, "/api/v1/reservations", { body: booking(), key: null })).status).toBe(401);
    expect(await state()).toEqual(before);
  });

  it("books the provider's worker at its ask and holds the window's cost", async () => {
    const before = await state();
    const res = await api<Reservation>(stack, "/api/v1/reservations", { body: booking() });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    reservation = res.body;
    const held = PER_MS * BigInt(WINDOW_MS);
    expect(reservation).toMatchObject({
      status: "active",
      region: "local",
      pricePerCu: ASK.toString(),
      model: MODEL,
      held: held.toString(),
      returned: "0",
    });
    expect(reservation.nodes).toEqual([{ id: worker.nodeId, region: "local", cuPerHour: 3600, online: true }]);
    expect(Date.parse(reservation.endsAt) - Date.parse(reservation.startsAt)).toBe(WINDOW_MS);
    expect(await balance(orgAccountCode(customer(), "available"))).toBe((before.available ?? 0n) - held);
    expect(await balance(orgAccountCode(customer(), "held"))).toBe(held);

    // A retry with the same key and body replays the first answer (Stripe's rule).
    const again = await api<Reservation>(stack, "/api/v1/reservations", { body: booking() });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(reservation);
    expect(await balance(orgAccountCode(customer(), "held"))).toBe(held);
    const list = await api<{ reservations: Reservation[] }>(stack, "/api/v1/reservations");
    expect(list.body.reservations.map((r) => r.id)).toEqual([reservation.id]);
  });

  it("another tenant cannot see or release it (404), nor book its worker (409)", async () => {
    const before = await state();
    expect((await get(other.key)).status).toBe(404);
    expect((await api(stack, `/api/v1/reservations/${reservation.id}/release`, { body: {}, key: other.key })).status).toBe(404);
    expect((await api<{ reservations: unknown[] }>(stack, "/api/v1/reservations", { key: other.key })).body.reservations).toEqual([]);
    const taken = await api<ApiError>(stack, "/api/v1/reservations", { body: booking({ idempotencyKey: "other" }), key: other.key });
    expect(taken.status).toBe(409);
    expect(await state()).toEqual(before);
    expect((await get()).body.status).toBe("active");
  });

  it("the organisation's jobs run on its reserved worker, charged nothing per job; another's waits until its queue is empty", async () => {
    const availableBefore = await balance(orgAccountCode(customer(), "available"));
    const submit = async (key: string | undefined, i: number) => {
      const res = await api<Job>(stack, "/api/v1/jobs", { body: { model: MODEL, input: { text: `rented ${i}` } }, key });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id;
    };
    const ownIds: string[] = [];
    for (let i = 0; i < 4; i++) ownIds.push(await submit(undefined, i));
    const otherId = await submit(other.key, 99);
    const wait = async (id: string, key?: string) => {
      const res = await api<Job>(stack, `/api/v1/jobs/${id}?wait=60000`, { key });
      expect(res.body.state, JSON.stringify(res.body)).toBe("succeeded");
      return res.body;
    };
    jobs.own = await Promise.all(ownIds.map((id) => wait(id)));
    jobs.other = await wait(otherId, other.key);
    for (const j of jobs.own) {
      expect(j).toMatchObject({ workerId: worker.nodeId, reservationId: reservation.id, unitPrice: "0", price: "0" });
      expect(j.placement?.via).toBe("reservation");
    }
    // The only worker is reserved: the other organisation's job ran there too, at the
    // worker's ask, and only in a round after the reserving organisation's queue emptied.
    expect(jobs.other).toMatchObject({ workerId: worker.nodeId, reservationId: null, unitPrice: ASK.toString() });
    expect(BigInt(jobs.other.price)).toBeGreaterThan(0n);
    const lastOwn = Math.max(...jobs.own.map((j) => Date.parse(j.placement?.decidedAt ?? "")));
    expect(Date.parse(jobs.other.placement?.decidedAt ?? "")).toBeGreaterThanOrEqual(lastOwn);
    // Each job's hold came back in full.
    expect(await balance(orgAccountCode(customer(), "available"))).toBe(availableBefore);
  });

  it("bills completed periods with the right gross, and no outage while the worker serves", async () => {
    const r = await waitFor(
      "the first billed period",
      async () => {
        const res = await get();
        return res.body.invoices.length >= 1 ? res.body : null;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const first = r.invoices[0] as Invoice;
    expect(first.periodStart).toBe(r.startsAt);
    expect(Date.parse(first.periodEnd) - Date.parse(first.periodStart)).toBe(PERIOD_MS);
    expect(first.gross).toBe((PER_MS * BigInt(PERIOD_MS)).toString());
    expect(await outages()).toEqual([]);
    for (const i of r.invoices) expect(i).toMatchObject({ outageCredit: "0", charged: i.gross, downtimeMs: "0" });
  });

  it("a worker outage credits the customer for the measured downtime", async () => {
    const stoppedAt = Date.now();
    await worker.proc.stop(10_000);
    await waitFor("the coordinator marks the stopped worker offline", async () => (await nodeStatus(worker.nodeId)) === "offline", {
      timeoutMs: OFFLINE_AFTER_MS + 20_000,
      intervalMs: 200,
    });
    const offlineSeen = (await get()).body.nodes[0];
    expect(offlineSeen?.online).toBe(false);
    await new Promise((r) => setTimeout(r, 2_000));
    const restartedAt = Date.now();
    worker = stack.restartWorker(worker);
    await waitFor("the worker back online", async () => (await nodeStatus(worker.nodeId)) === "online", {
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    const recorded = await outages();
    expect(recorded).toHaveLength(1);
    const o = recorded[0] as { started_at: Date; ended_at: Date };
    expect(o.ended_at).not.toBeNull();
    const measured = o.ended_at.getTime() - o.started_at.getTime();
    // It starts when the worker was last heard from (≤ 5 s write interval + a heartbeat
    // before the stop) and ends when the restarted worker is heard from again.
    expect(o.started_at.getTime()).toBeLessThanOrEqual(stoppedAt + 1_000);
    expect(o.started_at.getTime()).toBeGreaterThan(stoppedAt - 12_000);
    expect(o.ended_at.getTime()).toBeGreaterThanOrEqual(restartedAt);
    expect(measured).toBeGreaterThanOrEqual(restartedAt - stoppedAt);
    expect(measured).toBeLessThan(restartedAt - stoppedAt + 30_000);

    // Wait until billing has covered the outage, then check every period's credit.
    const r = await waitFor(
      "the outage's periods billed",
      async () => {
        const res = await get();
        return Date.parse(res.body.billedUntil) >= o.ended_at.getTime() ? res.body : null;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    let downtime = 0;
    let credit = 0n;
    for (const i of r.invoices) {
      const start = Date.parse(i.periodStart);
      const end = Date.parse(i.periodEnd);
      const down = Math.max(0, Math.min(end, o.ended_at.getTime()) - Math.max(start, o.started_at.getTime()));
      const gross = PER_MS * BigInt(end - start);
      const expected = (gross * BigInt(down)) / BigInt(end - start);
      expect(i, JSON.stringify(i)).toEqual({
        ...i,
        gross: gross.toString(),
        downtimeMs: String(down),
        outageCredit: expected.toString(),
        charged: (gross - expected).toString(),
      });
      downtime += down;
      credit += expected;
    }
    // The whole measured outage lies inside the billed time, and its share of the bill came back.
    expect(downtime).toBe(measured);
    expect(credit).toBe(PER_MS * BigInt(measured));
    expect(BigInt(r.billed.outageCredit)).toBe(credit);
  });

  it("an early release bills the partial period, returns the rest of the hold, and is idempotent", async () => {
    const before = (await get()).body;
    const res = await api<Reservation>(stack, `/api/v1/reservations/${reservation.id}/release`, { body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const r = res.body;
    expect(r.status).toBe("released");
    expect(r.endsAt).toBe(before.endsAt);
    expect(r.releasedAt).not.toBeNull();
    expect(r.billedUntil).toBe(r.releasedAt);
    expect(Date.parse(r.releasedAt ?? "")).toBeLessThan(Date.parse(r.endsAt));
    const last = r.invoices.at(-1) as Invoice;
    expect(last.periodEnd).toBe(r.releasedAt);
    const lastMs = Date.parse(last.periodEnd) - Date.parse(last.periodStart);
    expect(lastMs).toBeGreaterThan(0);
    expect(lastMs).toBeLessThanOrEqual(PERIOD_MS);
    expect(last.gross).toBe((PER_MS * BigInt(lastMs)).toString());
    // Billed from the start to the release, without gaps, pro rata to the millisecond.
    for (let k = 1; k < r.invoices.length; k++) expect(r.invoices[k]?.periodStart).toBe(r.invoices[k - 1]?.periodEnd);
    const billedMs = Date.parse(r.billedUntil) - Date.parse(r.startsAt);
    expect(r.billed.gross).toBe((PER_MS * BigInt(billedMs)).toString());
    expect(r.returned).toBe((BigInt(r.held) - BigInt(r.billed.gross)).toString());
    expect(BigInt(r.returned)).toBeGreaterThan(0n);
    expect(await balance(orgAccountCode(customer(), "held"))).toBe(0n);

    const snapshot = await state();
    const again = await api<Reservation>(stack, `/api/v1/reservations/${reservation.id}/release`, { body: {} });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(r);
    // The coordinator bills nothing more either.
    await new Promise((res) => setTimeout(res, 2 * PERIOD_MS));
    expect(await state()).toEqual(snapshot);
    expect((await get()).body.invoices).toEqual(r.invoices);
    reservation = r;
  });

  it("every amount adds up, and the ledger is balanced", async () => {
    const r = reservation;
    const charged = r.invoices.reduce((s, i) => s + BigInt(i.charged), 0n);
    expect(r.billed.charged).toBe(charged.toString());
    expect(BigInt(r.billed.gross) - BigInt(r.billed.outageCredit)).toBe(charged);
    // The customer paid exactly what was charged (its jobs cost nothing on the reserved worker).
    expect(await balance(orgAccountCode(customer(), "available"))).toBe(1_000_000_000n - charged);
    expect(await balance(orgAccountCode(customer(), "held"))).toBe(0n);
    // The provider earned the worker share of every period's charge and of the other job.
    const workerShares =
      r.invoices.reduce((s, i) => s + splitReward(BigInt(i.charged)).worker, 0n) + splitReward(BigInt(jobs.other?.price ?? "0")).worker;
    // A job's worker payout is held on its node until the job's verification window closes
    // (held-earnings.ts); a reserved period's charge is not a job and goes to earnings at once.
    const [held] = await sql().$queryRaw<{ total: bigint }[]>`
      SELECT coalesce(sum(balance), 0)::bigint AS total FROM ledger_accounts WHERE org_id = ${provider}::uuid AND kind = 'held_earnings'`;
    expect((await balance(orgAccountCode(provider, "earnings"))) + BigInt(held?.total ?? 0n)).toBe(workerShares);
    const check = await checkLedger(sql());
    expect(check).toMatchObject({ ok: true, unbalancedTransfers: [], mismatchedAccounts: [], totalBalance: 0n });
  });
  it("the tRPC reservations router answers the same, tenant isolated", async () => {
    const { createCaller } = await import("../../apps/web/src/server/api/root.ts");
    const { createTRPCContext } = await import("../../apps/web/src/server/api/trpc.ts");
    const as = async (key: string) => createCaller(await createTRPCContext({ headers: new Headers({ authorization: `Bearer ${key}` }) }));
    const mine = await as(stack.apiKey);
    const theirs = await as(other.key);
    expect((await mine.reservations.list({})).reservations.map((r) => r.id)).toContain(reservation.id);
    expect(await mine.reservations.get({ reservationId: reservation.id })).toEqual(reservation);
    expect(await mine.reservations.release({ reservationId: reservation.id })).toEqual(reservation);
    expect((await theirs.reservations.list({})).reservations).toEqual([]);
    await expect(theirs.reservations.get({ reservationId: reservation.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(theirs.reservations.release({ reservationId: reservation.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(mine.reservations.book({ ...booking({ idempotencyKey: "trpc-bad" }), count: 0 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
