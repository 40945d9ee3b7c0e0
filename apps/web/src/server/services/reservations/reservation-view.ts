import type { Db } from "@proofgrid/db/db-types";
import type { ReservationStatus } from "@proofgrid/db/reservations/reservation-rows";
import {
  loadReservationInvoices,
  loadReservationNodes,
  loadReservationViewRows,
  type ReservationViewRow,
} from "@proofgrid/db/reservations/reservation-view-rows";
import { AppError } from "../../errors.ts";

// Ledger idempotency keys of a reservation's transfers: the hold at booking, one bill per
// period (split in parts only when its workers belong to more providers than one transfer
// has legs for), and the return of what is left of the hold when it ends or is released.
export const reservationHoldKey = (id: string) => `reservation:${id}:hold`;
export const reservationReleaseKey = (id: string) => `reservation:${id}:release`;
export const reservationBillKey = (id: string, periodStart: Date, part: number) =>
  `reservation:${id}:bill:${periodStart.toISOString()}${part === 0 ? "" : `:${part}`}`;

export type { ReservationStatus };

/** What the organisation that booked a reservation sees of it. Amounts are base units as
 * decimal strings (bigint-safe over JSON). */
export interface ReservationView {
  id: string;
  region: string;
  minCuPerHour: number;
  count: number;
  /** Model slug the reserved workers were chosen to serve, if one was asked for. */
  model: string | null;
  /** The listed price per CU-hour of capacity: the highest ask among the chosen workers. */
  pricePerCu: string;
  startsAt: string;
  /** The booked end; an early release leaves it and sets `releasedAt`. */
  endsAt: string;
  status: ReservationStatus;
  /** Billing has covered [startsAt, billedUntil). */
  billedUntil: string;
  releasedAt: string | null;
  createdAt: string;
  /** Held from the available balance at booking: the whole window at `pricePerCu`. */
  held: string;
  /** Sums over the invoices: gross, the outage credit given back, what was charged, and
   * the reserved workers' measured downtime (worker-milliseconds). */
  billed: { gross: string; outageCredit: string; charged: string; downtimeMs: string };
  /** What was left of the hold and went back to the available balance at the end. */
  returned: string;
  nodes?: ReservationNodeView[];
  invoices?: ReservationInvoiceView[];
}

export interface ReservationNodeView {
  id: string;
  region: string;
  /** The capability billed on (a snapshot at booking). */
  cuPerHour: number;
  online: boolean;
}

export interface ReservationInvoiceView {
  periodStart: string;
  periodEnd: string;
  gross: string;
  outageCredit: string;
  charged: string;
  downtimeMs: string;
}

function toView(r: ReservationViewRow): ReservationView {
  return {
    id: r.id,
    region: r.region,
    minCuPerHour: r.min_cu_per_hour,
    count: r.count,
    model: r.model_slug ?? r.model_id,
    pricePerCu: BigInt(r.price_per_cu).toString(),
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    status: r.status,
    billedUntil: r.billed_until.toISOString(),
    releasedAt: r.released_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    held: BigInt(r.held).toString(),
    billed: {
      gross: BigInt(r.gross).toString(),
      outageCredit: BigInt(r.outage_credit).toString(),
      charged: BigInt(r.charged).toString(),
      downtimeMs: BigInt(r.downtime_ms).toString(),
    },
    returned: BigInt(r.returned).toString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A reservation of the organisation with its workers and invoices; another organisation's
 * looks exactly like a missing one (tenant isolation). */
export async function loadReservationView(db: Db, opts: { orgId: string; reservationId: string }): Promise<ReservationView> {
  if (!UUID.test(opts.reservationId)) throw new AppError("NOT_FOUND", "reservation not found");
  const row = (await loadReservationViewRows(db, { orgId: opts.orgId, id: opts.reservationId, limit: 1 }))[0];
  if (!row) throw new AppError("NOT_FOUND", "reservation not found");
  const [nodes, invoices] = await Promise.all([
    loadReservationNodes(db, { reservationId: row.id }),
    loadReservationInvoices(db, { reservationId: row.id }),
  ]);
  return {
    ...toView(row),
    nodes: nodes.map((n) => ({ id: n.id, region: n.region, cuPerHour: n.cu_per_hour, online: n.status === "online" })),
    invoices: invoices.map((i) => ({
      periodStart: i.period_start.toISOString(),
      periodEnd: i.period_end.toISOString(),
      gross: BigInt(i.gross).toString(),
      outageCredit: BigInt(i.outage_credit).toString(),
      charged: BigInt(i.charged).toString(),
      downtimeMs: BigInt(i.downtime_ms).toString(),
    })),
  };
}

export async function loadReservationPage(db: Db, opts: { orgId: string; status?: ReservationStatus; limit: number; cursor?: string }) {
  const rows = await loadReservationViewRows(db, { ...opts, limit: opts.limit + 1 });
  const page = rows.slice(0, opts.limit);
  return { reservations: page.map(toView), nextCursor: rows.length > opts.limit ? (page.at(-1)?.id ?? null) : null };
}
