import type { Db } from "../db-types.ts";
import type { StripeEventStatus } from "../generated/prisma/enums.ts";

export type { StripeEventStatus };

export interface InsertStripeEventOptions {
  id: string;
  type: string;
  /** sha256 (hex) of the body Stripe signed. */
  payloadSha256: string;
  /** The event, stored as jsonb. */
  payload: unknown;
  livemode: boolean;
  /** Stripe's `created`, in seconds since the epoch. */
  createdSeconds: number;
}

/** The stored event: `inserted` is false when it was there already (its deliveries count up). */
export interface StoredStripeEvent {
  inserted: boolean;
  payload_sha256: string;
  status: StripeEventStatus;
}

/**
 * Stores the event as `unmatched` by its id, or counts one more delivery of the stored one.
 * Two concurrent deliveries serialise on the row (the second waits for the first's commit).
 */
export async function insertStripeEvent(db: Db, opts: InsertStripeEventOptions): Promise<StoredStripeEvent | null> {
  const rows = await db.$queryRaw<StoredStripeEvent[]>`
    INSERT INTO stripe_events (id, type, payload_sha256, payload, livemode, stripe_created_at, status)
    VALUES (${opts.id}, ${opts.type}, ${opts.payloadSha256}, ${JSON.stringify(opts.payload)}::jsonb, ${opts.livemode},
            to_timestamp(${opts.createdSeconds}), 'unmatched')
    ON CONFLICT (id) DO UPDATE SET deliveries = stripe_events.deliveries + 1
    RETURNING (xmax = 0) AS inserted, payload_sha256, status`;
  return rows[0] ?? null;
}

/** What applying the event did (the note cut to 500 characters). */
export async function markStripeEvent(
  db: Db,
  opts: { eventId: string; status: StripeEventStatus; note: string | null; purchaseId: string | null; paymentIntentId: string | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE stripe_events SET status = ${opts.status}::"StripeEventStatus", note = ${opts.note?.slice(0, 500) ?? null},
           purchase_id = ${opts.purchaseId}::uuid, payment_intent_id = ${opts.paymentIntentId}, processed_at = now()
    WHERE id = ${opts.eventId}`;
}

/**
 * The `unmatched` events about a payment, but `exceptId`, oldest first and locked, at most
 * `limit`. `P` is the payload's type as the caller stored it.
 */
export async function lockUnmatchedStripeEvents<P>(
  db: Db,
  opts: { paymentIntentId: string; exceptId: string; limit: number },
): Promise<{ id: string; payload: P }[]> {
  return db.$queryRaw<{ id: string; payload: P }[]>`
    SELECT id, payload FROM stripe_events
    WHERE payment_intent_id = ${opts.paymentIntentId} AND status = 'unmatched' AND id <> ${opts.exceptId}
    ORDER BY stripe_created_at, received_at LIMIT ${opts.limit} FOR UPDATE`;
}

/** Serialises, until the transaction ends, every transaction that takes this lock for the same payment. */
export async function lockStripePayment(db: Db, opts: { paymentIntentId: string }): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`stripe-payment:${opts.paymentIntentId}`}, 0))`;
}
