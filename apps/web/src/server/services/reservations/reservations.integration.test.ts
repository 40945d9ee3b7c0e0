import { randomBytes } from "node:crypto";
import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { splitReward } from "@proofgrid/por";
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { requiredStake, stakeNode } from "../verification/stake.ts";
import { billReservations } from "./bill-reservations.ts";
import { bookReservation, type TBookReservationRequest, ZBookReservationRequest } from "./book-reservation.ts";
import { getReservationOrThrow, listReservations } from "./list-reservations.ts";
import { releaseReservation } from "./release-reservation.ts";

// Booking, hourly billing (4 s periods here), outage credits and release against a real
// Postgres, with the clock passed in: every amount is checked to the base unit.

let customer: string;
let poorCustomer: string;
let otherCustomer: string;
let providerA: string;
let providerB: string;
const MODEL = "ab".repeat(32);
const TOKENS = 1_000_000n;
const PERIOD_MS = 4_000;
const nodes: Record<string, string> = {};

const db = setupServiceDatabase({
  name: "reservations",
  env: { RESERVATION_BILLING_PERIOD_MS: String(PERIOD_MS), POR_STAKE_REQUIRED: "1", PRICE_PER_CU_BASE_UNITS: "50000" },
});

beforeAll(async () => {
  await db.t.prisma.model.create({
    data: { id: MODEL, slug: "test-model", name: "test", kind: "tensor", description: "test", signature: {}, baseCostMilliCu: 1 },
  });
  customer = await createOrg("customer", "customer", 10_000n * TOKENS);
  poorCustomer = await createOrg("poor", "customer", 1n);
  otherCustomer = await createOrg("other", "customer", 1_000n * TOKENS);
  providerA = await createOrg("provider-a", "provider", 50_000n * TOKENS);
  providerB = await createOrg("provider-b", "provider", 50_000n * TOKENS);
  const node = async (
    name: string,
    o: {
      org: string;
      cu?: number;
      ask?: bigint | null;
      rep?: number;
      status?: "online" | "offline" | "quarantined";
      region?: string;
      models?: string[];
      stake?: boolean;
    },
  ) => {
    const cu = o.cu ?? 3600;
    const row = await db.t.prisma.node.create({
      data: {
        orgId: o.org,
        name,
        publicKey: randomBytes(32).toString("base64url"),
        region: o.region ?? "local",
        status: o.status ?? "online",
        claimedCuPerHour: cu,
        cuPerHour: cu,
        models: o.models ?? [MODEL],
        askPricePerCu: o.ask ?? null,
        reputationScore: o.rep ?? 0.5,
      },
      select: { id: true },
    });
    if (o.stake !== false) await stakeNode({ orgId: o.org, nodeId: row.id, amount: requiredStake(cu), idempotencyKey: `stake:${name}` });
    nodes[name] = row.id;
  };
  await node("a1", { org: providerA, ask: 40_000n, rep: 0.9 });
  await node("a2", { org: providerA, ask: 40_000n, rep: 0.5 });
  await node("a3", { org: providerA, ask: 40_000n, rep: 0.7 });
  await node("b1", { org: providerB, ask: 60_000n, cu: 7200 });
  await node("b2", { org: providerB, ask: 30_000n, cu: 3601, models: [] });
  // Cheaper, but each fails one rule.
  await node("offline", { org: providerA, ask: 1_000n, status: "offline" });
  await node("quarantined", { org: providerA, ask: 1_000n, status: "quarantined" });
  await node("weak", { org: providerA, ask: 1_000n, cu: 100 });
  await node("far", { org: providerA, ask: 1_000n, region: "eu-central" });
  await node("own", { org: customer, ask: 1_000n });
  await node("unstaked", { org: providerB, ask: 1_000n, stake: false });
});

const balance = async (code: string) => (await getBalances(sql(), [code])).get(code) ?? 0n;
const book = (orgId: string, r: Partial<TBookReservationRequest>, now?: Date) =>
  bookReservation({
    orgId,
    now,
    request: ZBookReservationRequest.parse({
      region: "local",
      minCuPerHour: 1000,
      count: 1,
      hours: 1,
      idempotencyKey: randomBytes(6).toString("hex"),
      ...r,
    }),
  });
/** What must stay put when a request is refused. */
const snapshot = async () => ({
  transfers: (await checkLedger(sql())).transfers,
  reservations: await db.t.prisma.reservation.count(),
  available: await balance(orgAccountCode(customer, "available")),
});
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

describe("booking", () => {
  it("refuses bad input with a clear message", () => {
    const base = { region: "local", minCuPerHour: 1000, count: 1, hours: 1, idempotencyKey: "k" };
    const problems = (v: unknown) => {
      const r = ZBookReservationRequest.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(problems(base)).toEqual([]);
    expect(problems({ ...base, region: "atlantis" }).join()).toMatch(/unknown region/);
    expect(problems({ ...base, count: 0 }).join()).toMatch(/count/);
    expect(problems({ ...base, count: 65 }).join()).toMatch(/count/);
    expect(problems({ ...base, hours: 0 }).join()).toMatch(/hours/);
    expect(problems({ ...base, hours: 721 }).join()).toMatch(/hours/);
    expect(problems({ ...base, minCuPerHour: 0 }).join()).toMatch(/minCuPerHour/);
    expect(problems({ ...base, endsAt: "2030-01-01T00:00:00Z" }).join()).toMatch(/exactly one of hours and endsAt/);
    expect(problems({ ...base, hours: undefined }).join()).toMatch(/exactly one of hours and endsAt/);
    expect(problems({ ...base, startsAt: "tomorrow" }).join()).toMatch(/startsAt/);
    expect(problems({ ...base, idempotencyKey: "has space" }).join()).toMatch(/idempotency key/);
  });

  it("refuses a booking without an idempotency key (the body's field or the Idempotency-Key header)", async () => {
    await expect(
      bookReservation({
        orgId: customer,
        request: ZBookReservationRequest.parse({ region: "local", minCuPerHour: 1000, count: 1, hours: 1 }),
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/idempotency key is required/) });
  });

  it("refuses a window in the past, an unknown model, too few workers (409, saying how many) and too few credits (402) — changing nothing", async () => {
    const before = await snapshot();
    await expect(book(customer, { startsAt: new Date(Date.now() - 5 * 60_000).toISOString() })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(book(customer, { model: "no-such-model" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // a1, a2, a3 and b1 serve the model; the cheaper ones each fail a rule.
    await expect(book(customer, { model: "test-model", count: 5 })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("only 4 of the 5"),
      details: { available: 4, requested: 5 },
    });
    await expect(book(customer, { region: "us-east" })).rejects.toMatchObject({ code: "CONFLICT", details: { available: 0 } });
    await expect(book(customer, { minCuPerHour: 100_000 })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(book(poorCustomer, { count: 2 })).rejects.toMatchObject({ code: "INSUFFICIENT_CREDITS" });
    expect(await snapshot()).toEqual(before);
    expect(await balance(orgAccountCode(poorCustomer, "available"))).toBe(1n);
  });
});

describe("a reservation from booking to release", () => {
  const t0 = new Date();
  let id: string;
  const held = (2n * 3600n * 40_000n * 20_000n) / 3_600_000n; // two workers, 20 s at 40 000 per CU-hour
  let availableBefore: bigint;

  it("books the cheapest eligible workers (then the best reputation) at the highest ask among them, and holds the window", async () => {
    availableBefore = await balance(orgAccountCode(customer, "available"));
    const res = await book(customer, { model: "test-model", count: 2, hours: 20 / 3600, idempotencyKey: "r2" }, t0);
    expect(res.created).toBe(true);
    const r = res.reservation;
    id = r.id;
    expect(r.nodes?.map((n) => n.id).sort()).toEqual([nodes.a1, nodes.a3].sort());
    expect(r).toMatchObject({ status: "active", pricePerCu: "40000", model: "test-model", count: 2, held: held.toString(), returned: "0" });
    expect(r.startsAt).toBe(t0.toISOString());
    expect(r.endsAt).toBe(at(t0, 20_000).toISOString());
    expect(r.billedUntil).toBe(r.startsAt);
    expect(await balance(orgAccountCode(customer, "available"))).toBe(availableBefore - held);
    expect(await balance(orgAccountCode(customer, "held"))).toBe(held);

    // The same key again: the same reservation, held once.
    const again = await book(customer, { model: "test-model", count: 2, hours: 20 / 3600, idempotencyKey: "r2" }, t0);
    expect(again).toMatchObject({ created: false, reservation: { id } });
    await expect(book(customer, { count: 1, hours: 1, idempotencyKey: "r2" })).rejects.toMatchObject({ code: "UNPROCESSABLE" });
    expect(await balance(orgAccountCode(customer, "held"))).toBe(held);
  });

  it("reserved workers are not booked twice for overlapping windows; the listed price is the highest ask chosen", async () => {
    // Left for the model: a2 (40 000), b1 (60 000), and the first customer's own worker,
    // which is barred to its owner only (1 000).
    const r = (await book(otherCustomer, { model: "test-model", count: 3, hours: 1 / 3600 }, t0)).reservation;
    expect(r.nodes?.map((n) => n.id).sort()).toEqual([nodes.own, nodes.a2, nodes.b1].sort());
    expect(r.pricePerCu).toBe("60000");
    // (3600 + 3600 + 7200) CU/h × 60 000 × 1 s
    expect(r.held).toBe((((3600n + 3600n + 7200n) * 60_000n * 1000n) / 3_600_000n).toString());
    await expect(book(customer, { model: "test-model", count: 1 }, t0)).rejects.toMatchObject({
      code: "CONFLICT",
      details: { available: 0 },
    });
    // A window after theirs is free again.
    const later = await book(otherCustomer, { model: "test-model", count: 4, startsAt: at(t0, 3_600_000).toISOString() }, t0);
    expect(later.reservation.nodes).toHaveLength(4);
    await releaseReservation({ orgId: otherCustomer, reservationId: later.reservation.id, now: t0 });
  });

  it("bills each period once, after the outage-detection lag, and credits measured downtime", async () => {
    // a1 down 2 s in period 2; a3 down from 10 s on, never back.
    await db.t.prisma.nodeOutage.create({ data: { nodeId: nodes.a1 as string, startedAt: at(t0, 5_000), endedAt: at(t0, 7_000) } });
    await db.t.prisma.nodeOutage.create({ data: { nodeId: nodes.a3 as string, startedAt: at(t0, 10_000), endedAt: null } });

    await billReservations({ now: at(t0, 4_000), outageDetectionMs: 1 });
    expect((await getReservationOrThrow({ orgId: customer, reservationId: id })).invoices).toEqual([]);
    // Two coordinators at once: each period is billed once.
    await Promise.all([billReservations({ now: at(t0, 4_000) }), billReservations({ now: at(t0, 4_000) })]);
    await Promise.all([billReservations({ now: at(t0, 16_000) }), billReservations({ now: at(t0, 17_000) })]);
    const r = await getReservationOrThrow({ orgId: customer, reservationId: id });
    const perNode = 160_000n; // 3600 CU/h × 40 000 × 4 s
    expect(r.invoices).toEqual([
      {
        periodStart: t0.toISOString(),
        periodEnd: at(t0, 4_000).toISOString(),
        gross: "320000",
        outageCredit: "0",
        charged: "320000",
        downtimeMs: "0",
      },
      {
        periodStart: at(t0, 4_000).toISOString(),
        periodEnd: at(t0, 8_000).toISOString(),
        gross: "320000",
        outageCredit: "80000",
        charged: "240000",
        downtimeMs: "2000",
      },
      {
        periodStart: at(t0, 8_000).toISOString(),
        periodEnd: at(t0, 12_000).toISOString(),
        gross: "320000",
        outageCredit: "80000",
        charged: "240000",
        downtimeMs: "2000",
      },
      {
        periodStart: at(t0, 12_000).toISOString(),
        periodEnd: at(t0, 16_000).toISOString(),
        gross: "320000",
        outageCredit: perNode.toString(),
        charged: "160000",
        downtimeMs: "4000",
      },
    ]);
    expect(r.billedUntil).toBe(at(t0, 16_000).toISOString());
    expect(r.status).toBe("active");
    expect(await balance(orgAccountCode(customer, "held"))).toBe(held - 4n * 320_000n);
  });

  it("an early release bills the partial period pro rata, returns the rest of the hold, and happens once", async () => {
    const earningsBefore = await balance(orgAccountCode(providerA, "earnings"));
    const released = await releaseReservation({ orgId: customer, reservationId: id, now: at(t0, 18_000) });
    expect(released.status).toBe("released");
    expect(released.releasedAt).toBe(at(t0, 18_000).toISOString());
    expect(released.endsAt).toBe(at(t0, 20_000).toISOString());
    expect(released.billedUntil).toBe(at(t0, 18_000).toISOString());
    // [16 s, 18 s): 80 000 per worker; a3 is down throughout.
    expect(released.invoices?.at(-1)).toEqual({
      periodStart: at(t0, 16_000).toISOString(),
      periodEnd: at(t0, 18_000).toISOString(),
      gross: "160000",
      outageCredit: "80000",
      charged: "80000",
      downtimeMs: "2000",
    });
    const gross = 4n * 320_000n + 160_000n;
    const charged = 320_000n + 240_000n + 240_000n + 160_000n + 80_000n;
    expect(released.billed).toEqual({
      gross: gross.toString(),
      outageCredit: (gross - charged).toString(),
      charged: charged.toString(),
      downtimeMs: "10000",
    });
    expect(released.returned).toBe((held - gross).toString());
    expect(await balance(orgAccountCode(customer, "held"))).toBe(0n);
    // The customer paid exactly what was charged.
    expect(await balance(orgAccountCode(customer, "available"))).toBe(availableBefore - charged);
    // The provider got the worker share of each worker's charge in the last period.
    expect((await balance(orgAccountCode(providerA, "earnings"))) - earningsBefore).toBe(
      splitReward(80_000n).worker + splitReward(0n).worker,
    );

    const before = await snapshot();
    const again = await releaseReservation({ orgId: customer, reservationId: id, now: at(t0, 19_500) });
    expect(again).toEqual(released);
    await billReservations({ now: at(t0, 60_000) });
    expect(await snapshot()).toEqual(before);
    expect(await getReservationOrThrow({ orgId: customer, reservationId: id })).toEqual(released);
  });

  it("another organisation's reservation is not found, to read or to release", async () => {
    await expect(getReservationOrThrow({ orgId: otherCustomer, reservationId: id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(releaseReservation({ orgId: otherCustomer, reservationId: id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(releaseReservation({ orgId: customer, reservationId: "not-a-uuid" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await listReservations({ orgId: otherCustomer, request: {} })).reservations.map((r) => r.id)).not.toContain(id);
  });
});

describe("the end of a window", () => {
  it("bills the last, shorter period, and the bills add up to the hold to the unit", async () => {
    const t0 = new Date();
    // b2: 3601 CU/h at 30 000 — periods that do not divide evenly.
    const r = (await book(customer, { count: 1, minCuPerHour: 3601, hours: 7 / 3600 }, t0)).reservation;
    expect(r.nodes?.map((n) => n.id)).toEqual([nodes.b2]);
    const earningsBefore = await balance(orgAccountCode(providerB, "earnings"));
    await billReservations({ now: at(t0, 7_000) });
    const done = await getReservationOrThrow({ orgId: customer, reservationId: r.id });
    expect(done.status).toBe("ended");
    expect(done.invoices?.map((i) => [i.periodEnd, i.gross])).toEqual([
      [at(t0, 4_000).toISOString(), "120034"], // ceil(3601 × 30 000 × 4 s / 1 h) = ceil(120 033.3)
      [at(t0, 7_000).toISOString(), "90025"], // ceil(… × 7 s) − 120 034
    ]);
    expect(done.billed.gross).toBe(done.held);
    expect(done.returned).toBe("0");
    const paid = splitReward(120_034n).worker + splitReward(90_025n).worker;
    expect((await balance(orgAccountCode(providerB, "earnings"))) - earningsBefore).toBe(paid);
  });

  it("a release before the start bills nothing and returns the whole hold", async () => {
    const availableBefore = await balance(orgAccountCode(customer, "available"));
    const r = (await book(customer, { count: 1, startsAt: new Date(Date.now() + 600_000).toISOString(), hours: 2 })).reservation;
    expect(await balance(orgAccountCode(customer, "available"))).toBe(availableBefore - BigInt(r.held));
    await billReservations({ now: new Date(Date.now() + 60_000) });
    const released = await releaseReservation({ orgId: customer, reservationId: r.id });
    expect(released).toMatchObject({ status: "released", invoices: [], returned: r.held });
    expect(await balance(orgAccountCode(customer, "available"))).toBe(availableBefore);
  });

  it("lists the organisation's reservations newest first, page by page", async () => {
    const first = await listReservations({ orgId: customer, request: { limit: 2 } });
    expect(first.reservations).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const rest = await listReservations({ orgId: customer, request: { limit: 50, cursor: first.nextCursor ?? undefined } });
    const all = [...first.reservations, ...rest.reservations];
    expect(all.length).toBe(await db.t.prisma.reservation.count({ where: { orgId: customer } }));
    expect(all.map((r) => r.createdAt)).toEqual([...all.map((r) => r.createdAt)].sort().reverse());
    expect(
      (await listReservations({ orgId: customer, request: { status: "ended" } })).reservations.every((r) => r.status === "ended"),
    ).toBe(true);
  });

  it("the ledger is balanced", async () => {
    const check = await checkLedger(sql());
    expect(check).toMatchObject({ ok: true, unbalancedTransfers: [], mismatchedAccounts: [], totalBalance: 0n });
  });
});
