import type { Db } from "@proofgrid/db/db-types";
import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS, type TransferLeg } from "@proofgrid/db/ledger";
import {
  insertReservationInvoice,
  loadNodeOutagesBetween,
  loadReservedNodesWithProviders,
  type ReservedNodeRow,
  sumReservationHeldAndBilled,
} from "@proofgrid/db/reservations/reservation-billing";
import {
  type LockedReservation,
  listDueReservations,
  lockReservation,
  setReservationBilledUntil,
  setReservationStatus,
} from "@proofgrid/db/reservations/reservation-rows";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { splitReward } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { getReservationConfig } from "./reservation-config.ts";
import { downtimeWithin, grossBetween, outageCredit, periodsBetween } from "./reservation-pricing.ts";
import { reservationBillKey, reservationHoldKey, reservationReleaseKey } from "./reservation-view.ts";

// The reservation row lock lives in packages/db; release-reservation.ts takes it from here.
export { type LockedReservation, lockReservation };

// One transfer has at most 16 legs (packages/db): held, available, checker pool and protocol
// fee leave 12 for providers. A period whose workers belong to more providers is posted as
// several transfers in the same database transaction.
const PROVIDERS_PER_TRANSFER = 12;
/** Periods one transaction bills: a coordinator that was down for days catches up over
 * several ticks instead of one huge transaction. */
const MAX_PERIODS_PER_TX = 48;
/** Reservations looked at per tick. */
const DUE_PER_TICK = 100;

/**
 * Bills the periods of [billed_until, until) — whole periods, the last one cut at `until`
 * — at most `maxPeriods`, and advances billed_until. Returns how many were billed.
 *
 * Per worker and period: gross = its share of the window's cost for the period (pro rata,
 * see reservation-pricing.ts); downtime = the overlap of its recorded outages with the
 * period (an outage still open counts to the period's end); credit = gross × downtime /
 * period, rounded down; charged = gross − credit. The held gross leaves org held; the
 * credit goes back to the customer's available balance; the charge is split 85/10/5
 * between the worker's provider, the checker pool and the protocol.
 */
export async function billPeriods(tx: Db, r: LockedReservation, until: Date, maxPeriods: number): Promise<number> {
  const periods = periodsBetween(r.billed_until, until, getReservationConfig().billingPeriodMs, maxPeriods);
  if (periods.length === 0) return 0;
  const nodes = await loadReservedNodesWithProviders(tx, { reservationId: r.id });
  for (const p of periods) await billPeriod(tx, r, nodes, p.start, p.end);
  const last = periods.at(-1);
  if (last) {
    await setReservationBilledUntil(tx, { id: r.id, billedUntil: last.end });
    r.billed_until = last.end;
  }
  return periods.length;
}

async function billPeriod(tx: Db, r: LockedReservation, nodes: readonly ReservedNodeRow[], start: Date, end: Date): Promise<void> {
  const periodMs = end.getTime() - start.getTime();
  const fromMs = start.getTime() - r.starts_at.getTime();
  const toMs = end.getTime() - r.starts_at.getTime();
  const outages = await loadNodeOutagesBetween(tx, { nodeIds: nodes.map((n) => n.node_id), start, end });

  let gross = 0n;
  let credit = 0n;
  let downtimeMs = 0;
  let checkers = 0n;
  let protocol = 0n;
  const byProvider = new Map<string, { gross: bigint; credit: bigint; worker: bigint; checkers: bigint; protocol: bigint }>();
  for (const n of nodes) {
    const g = grossBetween({ cuPerHour: n.cu_per_hour, pricePerCuBaseUnits: r.price_per_cu, fromMs, toMs });
    const down = downtimeWithin(
      outages.filter((o) => o.node_id === n.node_id).map((o) => ({ startedAt: o.started_at, endedAt: o.ended_at })),
      start,
      end,
    );
    const c = outageCredit({ gross: g, downtimeMs: down, periodMs });
    const split = splitReward(g - c);
    gross += g;
    credit += c;
    downtimeMs += down;
    checkers += split.checkers;
    protocol += split.protocol;
    const acc = byProvider.get(n.provider_org_id) ?? { gross: 0n, credit: 0n, worker: 0n, checkers: 0n, protocol: 0n };
    acc.gross += g;
    acc.credit += c;
    acc.worker += split.worker;
    acc.checkers += split.checkers;
    acc.protocol += split.protocol;
    byProvider.set(n.provider_org_id, acc);
  }
  const charged = gross - credit;
  if (credit < 0n || credit > gross) throw new Error(`reservation ${r.id}: outage credit ${credit} outside [0, ${gross}]`);

  await insertReservationInvoice(tx, {
    reservationId: r.id,
    periodStart: start,
    periodEnd: end,
    gross,
    outageCredit: credit,
    charged,
    downtimeMs,
  });

  const providers = [...byProvider.entries()];
  for (let part = 0; part * PROVIDERS_PER_TRANSFER < Math.max(1, providers.length); part++) {
    const chunk = providers.slice(part * PROVIDERS_PER_TRANSFER, (part + 1) * PROVIDERS_PER_TRANSFER);
    const sum = (f: (a: (typeof chunk)[number][1]) => bigint) => chunk.reduce((s, [, a]) => s + f(a), 0n);
    const legs: TransferLeg[] = [
      { code: orgAccountCode(r.org_id, "held"), amount: -sum((a) => a.gross) },
      { code: orgAccountCode(r.org_id, "available"), amount: sum((a) => a.credit) },
      ...chunk.map(([org, a]) => ({ code: orgAccountCode(org, "earnings"), amount: a.worker })),
      { code: SYSTEM_ACCOUNTS.checkerPool.code, amount: sum((a) => a.checkers) },
      { code: SYSTEM_ACCOUNTS.protocolFee.code, amount: sum((a) => a.protocol) },
    ].filter((l) => l.amount !== 0n);
    // A period too short to cost a unit (or a reservation whose workers were deleted) moves nothing.
    if (legs.length < 2) continue;
    await postTransfer(tx, {
      idempotencyKey: reservationBillKey(r.id, start, part),
      kind: "reservation_bill",
      memo: `reservation ${r.id}: [${start.toISOString()}, ${end.toISOString()}) gross ${gross}, outage credit ${credit} for ${downtimeMs} worker-ms down`,
      legs,
    });
  }
  logger.info(
    {
      reservationId: r.id,
      orgId: r.org_id,
      periodStart: start,
      periodEnd: end,
      gross: gross.toString(),
      outageCredit: credit.toString(),
      downtimeMs,
      checkers: checkers.toString(),
      protocol: protocol.toString(),
    },
    "reservation period billed",
  );
}

/**
 * Ends a reservation whose billing is done (at the end of its window, or at an early
 * release): what is left of its hold goes back to the available balance, and its status
 * becomes `ended` or `released`. Returns the amount returned.
 */
export async function closeReservation(tx: Db, r: LockedReservation, status: "ended" | "released", at: Date): Promise<bigint> {
  const sums = await sumReservationHeldAndBilled(tx, { reservationId: r.id, holdKey: reservationHoldKey(r.id) });
  const held = BigInt(sums?.held ?? 0n);
  const billed = BigInt(sums?.billed ?? 0n);
  const remaining = held - billed;
  // The bills are differences of the function the hold was computed with: they can never
  // exceed it. If they did, the books are wrong; stop rather than overdraw.
  if (remaining < 0n) throw new Error(`reservation ${r.id}: billed ${billed} exceeds the hold ${held}`);
  if (remaining > 0n) {
    await postTransfer(tx, {
      idempotencyKey: reservationReleaseKey(r.id),
      kind: "reservation_release",
      memo: `reservation ${r.id} ${status}: the unbilled rest of the hold`,
      legs: [
        { code: orgAccountCode(r.org_id, "held"), amount: -remaining },
        { code: orgAccountCode(r.org_id, "available"), amount: remaining },
      ],
    });
  }
  await setReservationStatus(tx, { id: r.id, status, releasedAt: status === "released" ? at : null });
  r.status = status;
  logger.info(
    { reservationId: r.id, orgId: r.org_id, status, held: held.toString(), billed: billed.toString(), returned: remaining.toString() },
    "reservation closed",
  );
  return remaining;
}

/**
 * The coordinator's billing loop: bills every completed period of every active
 * reservation, and closes those whose window is fully billed. A period is billed only
 * `outageDetectionMs` after it ends: an outage is recorded from when the node was last
 * heard from, but only once the coordinator notices the silence (NODE_OFFLINE_AFTER_MS
 * plus a maintenance tick later); billing sooner would miss the credit for it.
 * Idempotent and safe on several coordinators: each reservation is billed under its row
 * lock, and each period's transfer has its own idempotency key.
 */
export async function billReservations(opts: { now?: Date; outageDetectionMs?: number; limit?: number } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - (opts.outageDetectionMs ?? 0));
  const periodMs = getReservationConfig().billingPeriodMs;
  const due = await listDueReservations(sql(), { periodMs, cutoff, limit: opts.limit ?? DUE_PER_TICK });
  let billed = 0;
  for (const { id } of due) {
    try {
      billed += await sqlTransaction(async (tx) => {
        const r = await lockReservation(tx, { id });
        if (!r || r.status !== "active") return 0;
        // Only whole periods that ended before the cutoff (or the window's last, shorter one).
        const complete = periodsBetween(r.billed_until, r.ends_at, periodMs, MAX_PERIODS_PER_TX).filter(
          (p) => p.end.getTime() <= cutoff.getTime(),
        );
        const until = complete.at(-1)?.end;
        const n = until ? await billPeriods(tx, r, until, MAX_PERIODS_PER_TX) : 0;
        if (r.billed_until.getTime() >= r.ends_at.getTime()) await closeReservation(tx, r, "ended", now);
        return n;
      });
    } catch (err) {
      // One reservation's failure must not hold up the others' bills.
      logger.error({ err, reservationId: id }, "reservation billing failed");
    }
  }
  return billed;
}
