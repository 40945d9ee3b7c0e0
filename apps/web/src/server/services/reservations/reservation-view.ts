import type { Db } from "@proofgrid/db/db-types";
import { AppError } from "../../errors.ts";

// Ledger idempotency keys of a reservation's transfers: the hold at booking, one bill per
// period (split in parts only when its workers belong to more providers than one transfer
// has legs for), and the return of what is left of the hold when it ends or is released.
export const reservationHoldKey = (id: string) => `reservation:${id}:hold`;
export const reservationReleaseKey = (id: string) => `reservation:${id}:release`;
export const reservationBillKey = (id: string, periodStart: Date, part: number) =>
  `reservation:${id}:bill:${periodStart.toISOString()}${part === 0 ? "" : `:${part}`}`;

export type ReservationStatus = "active" | "released" | "ended";

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

interface ReservationRow {
  id: string;
  region: string;
  min_cu_per_hour: number;
  count: number;
  model_slug: string | null;
  model_id: string | null;
  price_per_cu: bigint;
  starts_at: Date;
  ends_at: Date;
  status: ReservationStatus;
  billed_until: Date;
  released_at: Date | null;
  created_at: Date;
  held: bigint;
  returned: bigint;
  gross: bigint;
  outage_credit: bigint;
  charged: bigint;
  downtime_ms: bigint;
}

/**
 * One organisation's reservations, newest first: one id, or a page after `cursor`. The
 * held and returned amounts come from the ledger (the transfers are the record), the
 * billed sums from the invoices.
 */
async function loadRows(db: Db, opts: { orgId: string; id?: string; status?: ReservationStatus; limit: number; cursor?: string }): Promise<ReservationRow[]> {
  return db.$queryRaw<ReservationRow[]>`
    SELECT r.id, r.region, r.min_cu_per_hour, r.count, m.slug AS model_slug, r.model_id, r.price_per_cu, r.starts_at, r.ends_at,
           r.status::text AS status, r.billed_until, r.released_at, r.created_at,
           coalesce((SELECT sum(e.amount) FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id
                     WHERE t.idempotency_key = 'reservation:' || r.id::text || ':hold' AND e.amount > 0), 0)::bigint AS held,
           coalesce((SELECT sum(e.amount) FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id
                     WHERE t.idempotency_key = 'reservation:' || r.id::text || ':release' AND e.amount > 0), 0)::bigint AS returned,
           coalesce(i.gross, 0)::bigint AS gross, coalesce(i.outage_credit, 0)::bigint AS outage_credit,
           coalesce(i.charged, 0)::bigint AS charged, coalesce(i.downtime_ms, 0)::bigint AS downtime_ms
    FROM reservations r
    LEFT JOIN models m ON m.id = r.model_id
    LEFT JOIN LATERAL (
      SELECT sum(gross) AS gross, sum(outage_credit) AS outage_credit, sum(charged) AS charged, sum(downtime_ms) AS downtime_ms
      FROM reservation_invoices WHERE reservation_id = r.id
    ) i ON true
    WHERE r.org_id = ${opts.orgId}::uuid
      AND (${opts.id ?? null}::uuid IS NULL OR r.id = ${opts.id ?? null}::uuid)
      AND (${opts.status ?? null}::text IS NULL OR r.status::text = ${opts.status ?? null}::text)
      AND (${opts.cursor ?? null}::uuid IS NULL OR (r.created_at, r.id) < (
        SELECT c.created_at, c.id FROM reservations c WHERE c.id = ${opts.cursor ?? null}::uuid AND c.org_id = ${opts.orgId}::uuid))
    ORDER BY r.created_at DESC, r.id DESC
    LIMIT ${opts.limit}`;
}

function toView(r: ReservationRow): ReservationView {
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
  const row = (await loadRows(db, { orgId: opts.orgId, id: opts.reservationId, limit: 1 }))[0];
  if (!row) throw new AppError("NOT_FOUND", "reservation not found");
  const [nodes, invoices] = await Promise.all([
    db.$queryRaw<{ id: string; region: string; cu_per_hour: number; status: string }[]>`
      SELECT n.id, n.region, rn.cu_per_hour, n.status::text AS status
      FROM reservation_nodes rn JOIN nodes n ON n.id = rn.node_id
      WHERE rn.reservation_id = ${row.id}::uuid ORDER BY n.id`,
    db.$queryRaw<{ period_start: Date; period_end: Date; gross: bigint; outage_credit: bigint; charged: bigint; downtime_ms: bigint }[]>`
      SELECT period_start, period_end, gross, outage_credit, charged, downtime_ms
      FROM reservation_invoices WHERE reservation_id = ${row.id}::uuid ORDER BY period_start`,
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
  const rows = await loadRows(db, { ...opts, limit: opts.limit + 1 });
  const page = rows.slice(0, opts.limit);
  return { reservations: page.map(toView), nextCursor: rows.length > opts.limit ? (page.at(-1)?.id ?? null) : null };
}
