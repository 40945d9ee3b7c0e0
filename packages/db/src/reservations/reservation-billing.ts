import type { Db } from "../db-types.ts";

/** A reserved worker as billing sees it: the capability billed on and whose earnings it is. */
export interface ReservedNodeRow {
  node_id: string;
  provider_org_id: string;
  cu_per_hour: number;
}

/** The reservation's workers with their providers, in node id order. */
export async function loadReservedNodesWithProviders(db: Db, opts: { reservationId: string }): Promise<ReservedNodeRow[]> {
  return db.$queryRaw<ReservedNodeRow[]>`
    SELECT rn.node_id, n.org_id AS provider_org_id, rn.cu_per_hour
    FROM reservation_nodes rn JOIN nodes n ON n.id = rn.node_id
    WHERE rn.reservation_id = ${opts.reservationId}::uuid ORDER BY rn.node_id`;
}

export interface NodeOutageRow {
  node_id: string;
  started_at: Date;
  /** Null while the outage is still open. */
  ended_at: Date | null;
}

/** The recorded outages of these nodes that overlap [start, end), open ones included. */
export async function loadNodeOutagesBetween(
  db: Db,
  opts: { nodeIds: readonly string[]; start: Date; end: Date },
): Promise<NodeOutageRow[]> {
  return db.$queryRaw<NodeOutageRow[]>`
    SELECT node_id, started_at, ended_at FROM node_outages
    WHERE node_id = ANY(${[...opts.nodeIds]}::uuid[]) AND started_at < ${opts.end} AND (ended_at IS NULL OR ended_at > ${opts.start})`;
}

export interface InsertReservationInvoiceOptions {
  reservationId: string;
  periodStart: Date;
  periodEnd: Date;
  gross: bigint;
  outageCredit: bigint;
  charged: bigint;
  downtimeMs: number;
}

/** Records one billed period (unique per reservation and period start). */
export async function insertReservationInvoice(db: Db, opts: InsertReservationInvoiceOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO reservation_invoices (reservation_id, period_start, period_end, gross, outage_credit, charged, downtime_ms)
    VALUES (${opts.reservationId}::uuid, ${opts.periodStart}, ${opts.periodEnd}, ${opts.gross}, ${opts.outageCredit}, ${opts.charged},
            ${opts.downtimeMs})`;
}

/**
 * What the reservation's hold transfer put in (its positive legs; null without a hold) and
 * the sum of its invoices' gross (null without an invoice).
 */
export async function sumReservationHeldAndBilled(
  db: Db,
  opts: { reservationId: string; holdKey: string },
): Promise<{ held: bigint | null; billed: bigint | null } | undefined> {
  const rows = await db.$queryRaw<{ held: bigint | null; billed: bigint | null }[]>`
    SELECT (SELECT sum(e.amount) FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id
            WHERE t.idempotency_key = ${opts.holdKey} AND e.amount > 0)::bigint AS held,
           (SELECT sum(gross) FROM reservation_invoices WHERE reservation_id = ${opts.reservationId}::uuid)::bigint AS billed`;
  return rows[0];
}
