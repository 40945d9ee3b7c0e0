import type { Db } from "../db-types.ts";
import type { ReservationStatus } from "./reservation-rows.ts";

/** A reservation with its model, what the ledger held and returned, and its invoices summed. */
export interface ReservationViewRow {
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

export interface LoadReservationViewRowsOptions {
  orgId: string;
  /** One reservation by id. */
  id?: string;
  status?: ReservationStatus;
  limit: number;
  /** The id of the last reservation of the previous page. */
  cursor?: string;
}

/**
 * One organisation's reservations, newest first: one id, or a page after `cursor`. The
 * held and returned amounts come from the ledger (the transfers are the record), the
 * billed sums from the invoices.
 */
export async function loadReservationViewRows(db: Db, opts: LoadReservationViewRowsOptions): Promise<ReservationViewRow[]> {
  return db.$queryRaw<ReservationViewRow[]>`
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

/** A reserved worker as its customer sees it. */
export interface ReservationNodeRow {
  id: string;
  region: string;
  cu_per_hour: number;
  status: string;
}

/** The reservation's workers, in id order, with the capability billed on. */
export async function loadReservationNodes(db: Db, opts: { reservationId: string }): Promise<ReservationNodeRow[]> {
  return db.$queryRaw<ReservationNodeRow[]>`
    SELECT n.id, n.region, rn.cu_per_hour, n.status::text AS status
    FROM reservation_nodes rn JOIN nodes n ON n.id = rn.node_id
    WHERE rn.reservation_id = ${opts.reservationId}::uuid ORDER BY n.id`;
}

export interface ReservationInvoiceRow {
  period_start: Date;
  period_end: Date;
  gross: bigint;
  outage_credit: bigint;
  charged: bigint;
  downtime_ms: bigint;
}

/** The reservation's invoices, one per billed period, oldest first. */
export async function loadReservationInvoices(db: Db, opts: { reservationId: string }): Promise<ReservationInvoiceRow[]> {
  return db.$queryRaw<ReservationInvoiceRow[]>`
    SELECT period_start, period_end, gross, outage_credit, charged, downtime_ms
    FROM reservation_invoices WHERE reservation_id = ${opts.reservationId}::uuid ORDER BY period_start`;
}
