import type { Db } from "../db-types.ts";

/** The organisation's enabled endpoints that receive `type` (at most the per-organisation limit). */
export async function selectSubscribedWebhookEndpointIds(db: Db, opts: { orgId: string; type: string }): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM webhook_endpoints
    WHERE org_id = ${opts.orgId}::uuid AND enabled AND ${opts.type} = ANY(events)`;
  return rows.map((r) => r.id);
}

export interface InsertWebhookEventOptions {
  /** The event's id: the `webhook-id` header of every delivery of it. */
  id: string;
  orgId: string;
  type: string;
  /** The exact JSON every delivery sends. */
  body: string;
  /** Endpoints of the organisation to deliver it to (others are ignored). */
  endpointIds: string[];
}

/**
 * Writes one event and a pending delivery of it to each endpoint, in one statement, in the
 * caller's transaction: the event exists exactly when what it reports committed. Endpoints
 * not of the organisation are skipped by the join. Returns the deliveries made.
 */
export async function insertWebhookEvent(db: Db, opts: InsertWebhookEventOptions): Promise<number> {
  return db.$executeRaw`
    WITH ev AS (
      INSERT INTO webhook_events (id, org_id, type, body)
      VALUES (${opts.id}::uuid, ${opts.orgId}::uuid, ${opts.type}, ${opts.body})
      RETURNING id, org_id
    )
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, org_id)
    SELECT gen_random_uuid(), ev.id, ep.id, ev.org_id
    FROM ev JOIN webhook_endpoints ep ON ep.org_id = ev.org_id AND ep.id = ANY(${opts.endpointIds}::uuid[])`;
}

/** A delivery claimed for an attempt. `attempts` already counts this one. */
export interface ClaimedWebhookDeliveryRow {
  id: string;
  event_id: string;
  endpoint_id: string;
  org_id: string;
  attempts: number;
  created_at: Date;
  type: string;
  body: string;
  url: string;
  enabled: boolean;
  secret: string;
  /** Signs too while a rotation's overlap lasts; null otherwise. */
  previous_secret: string | null;
}

/**
 * Claims up to `limit` due deliveries in one statement (FOR UPDATE SKIP LOCKED): each one's
 * attempt count goes up and its next attempt moves `claimS` ahead, so no other deliverer
 * takes it while this one posts. A deliverer that dies before recording the outcome leaves
 * it to be claimed again when the claim runs out: the receiver gets it again, with the same
 * event id (at-least-once).
 */
export async function claimDueWebhookDeliveries(db: Db, opts: { limit: number; claimS: number }): Promise<ClaimedWebhookDeliveryRow[]> {
  return db.$queryRaw<ClaimedWebhookDeliveryRow[]>`
    WITH due AS (
      SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${opts.claimS})
    FROM due, webhook_events ev, webhook_endpoints ep
    WHERE d.id = due.id AND ev.id = d.event_id AND ep.id = d.endpoint_id
    RETURNING d.id, d.event_id, d.endpoint_id, d.org_id, d.attempts, d.created_at, ev.type, ev.body, ep.url, ep.enabled, ep.secret,
              CASE WHEN ep.previous_secret_expires_at > now() THEN ep.previous_secret END AS previous_secret`;
}

export interface RecordWebhookAttemptOptions {
  deliveryId: string;
  /** The attempt's number (the claimed row's `attempts`). */
  attempt: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  response: string | null;
  /** delivered (a 2xx), pending (retry in `retryInS`) or failed (given up). */
  outcome: "delivered" | "pending" | "failed";
  retryInS: number;
}

/**
 * Logs the attempt and moves the delivery on, in one statement. Only the attempt still
 * holding the claim moves it (a slower deliverer whose claim ran out and was re-claimed logs
 * its attempt and changes nothing). Returns whether the delivery moved.
 */
export async function recordWebhookAttempt(db: Db, opts: RecordWebhookAttemptOptions): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH logged AS (
      INSERT INTO webhook_delivery_attempts (id, delivery_id, attempt, status_code, latency_ms, error, response)
      VALUES (gen_random_uuid(), ${opts.deliveryId}::uuid, ${opts.attempt}, ${opts.statusCode}, ${opts.latencyMs}, ${opts.error}, ${opts.response})
      ON CONFLICT (delivery_id, attempt) DO NOTHING
    )
    UPDATE webhook_deliveries SET
      status = ${opts.outcome}::"WebhookDeliveryStatus",
      last_status_code = ${opts.statusCode},
      last_error = ${opts.error},
      delivered_at = CASE WHEN ${opts.outcome} = 'delivered' THEN now() END,
      next_attempt_at = CASE WHEN ${opts.outcome} = 'pending' THEN now() + make_interval(secs => ${opts.retryInS}) ELSE next_attempt_at END
    WHERE id = ${opts.deliveryId}::uuid AND attempts = ${opts.attempt} AND status = 'pending'
    RETURNING id`;
  return rows.length > 0;
}

export interface WebhookDeliveryRow {
  id: string;
  event_id: string;
  type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  body: string;
  /** Each attempt, oldest first: [{ attempt, statusCode, latencyMs, error, at }]. */
  log: { attempt: number; statusCode: number | null; latencyMs: number; error: string | null; at: string }[];
}

/**
 * The endpoint's deliveries, newest first, each with its attempts (bounded by the retry
 * schedule), a page at a time (`after`: the id of the last delivery seen). Only the
 * organisation's: another's endpoint id lists nothing.
 */
export async function listWebhookDeliveries(
  db: Db,
  opts: { orgId: string; endpointId: string; limit: number; after: string | null },
): Promise<WebhookDeliveryRow[]> {
  return db.$queryRaw<WebhookDeliveryRow[]>`
    SELECT d.id, d.event_id, ev.type, d.status::text AS status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
           d.delivered_at, d.created_at, ev.body,
           coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'statusCode', a.status_code, 'latencyMs', a.latency_ms,
                                                         'error', a.error, 'at', to_char(a.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                                ORDER BY a.attempt)
                     FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb) AS log
    FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
    WHERE d.endpoint_id = ${opts.endpointId}::uuid AND d.org_id = ${opts.orgId}::uuid
      AND (${opts.after}::uuid IS NULL OR (d.created_at, d.id) < (SELECT c.created_at, c.id FROM webhook_deliveries c WHERE c.id = ${opts.after}::uuid))
    ORDER BY d.created_at DESC, d.id DESC LIMIT ${opts.limit}`;
}

/**
 * Deletes up to `limit` events older than `olderThanDays` whose deliveries are all finished
 * (delivered or failed), with their deliveries and attempts (cascade). Returns how many.
 */
export async function purgeWebhookEvents(db: Db, opts: { olderThanDays: number; limit: number }): Promise<number> {
  return db.$executeRaw`
    DELETE FROM webhook_events WHERE id IN (
      SELECT ev.id FROM webhook_events ev
      WHERE ev.created_at < now() - make_interval(days => ${opts.olderThanDays})
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id AND d.status = 'pending')
      ORDER BY ev.created_at LIMIT ${opts.limit})`;
}
