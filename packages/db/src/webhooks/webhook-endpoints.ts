import type { Db } from "../db-types.ts";

/** An endpoint as its organisation sees it (never its secrets). */
export interface WebhookEndpointRow {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  /** When the previous secret stops signing; null when no rotation is under way. */
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Serialises changes to one organisation's endpoints until the transaction ends: the
 * per-organisation limit is counted and then inserted, and two creates at once must not both
 * see room for one more.
 */
export async function lockOrgWebhookEndpoints(db: Db, opts: { orgId: string }): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`webhook-endpoints:${opts.orgId}`}, 0))`;
}

export async function countWebhookEndpoints(db: Db, opts: { orgId: string }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_endpoints WHERE org_id = ${opts.orgId}::uuid`;
  return rows[0]?.n ?? 0;
}

export interface InsertWebhookEndpointOptions {
  orgId: string;
  url: string;
  description: string;
  events: string[];
  secret: string;
}

export async function insertWebhookEndpoint(db: Db, opts: InsertWebhookEndpointOptions): Promise<WebhookEndpointRow> {
  const rows = await db.$queryRaw<WebhookEndpointRow[]>`
    INSERT INTO webhook_endpoints (id, org_id, url, description, events, secret)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.url}, ${opts.description}, ${opts.events}::text[], ${opts.secret})
    RETURNING id, url, description, events, enabled, previous_secret_expires_at, created_at, updated_at`;
  const row = rows[0];
  if (!row) throw new Error("insertWebhookEndpoint: INSERT … RETURNING returned no row");
  return row;
}

/** The organisation's endpoints, oldest first (the count is bounded by the per-organisation limit). */
export async function listWebhookEndpoints(db: Db, opts: { orgId: string; limit: number }): Promise<WebhookEndpointRow[]> {
  return db.$queryRaw<WebhookEndpointRow[]>`
    SELECT id, url, description, events, enabled, previous_secret_expires_at, created_at, updated_at
    FROM webhook_endpoints WHERE org_id = ${opts.orgId}::uuid ORDER BY created_at, id LIMIT ${opts.limit}`;
}

/** One endpoint of the organisation; undefined when it is not the organisation's. */
export async function selectWebhookEndpoint(db: Db, opts: { orgId: string; id: string }): Promise<WebhookEndpointRow | undefined> {
  const rows = await db.$queryRaw<WebhookEndpointRow[]>`
    SELECT id, url, description, events, enabled, previous_secret_expires_at, created_at, updated_at
    FROM webhook_endpoints WHERE id = ${opts.id}::uuid AND org_id = ${opts.orgId}::uuid`;
  return rows[0];
}

export interface UpdateWebhookEndpointOptions {
  orgId: string;
  id: string;
  /** Each field left undefined keeps its value. */
  url?: string;
  description?: string;
  events?: string[];
  enabled?: boolean;
}

/** Changes the given fields of the organisation's endpoint; undefined when it is not the organisation's. */
export async function updateWebhookEndpoint(db: Db, opts: UpdateWebhookEndpointOptions): Promise<WebhookEndpointRow | undefined> {
  const rows = await db.$queryRaw<WebhookEndpointRow[]>`
    UPDATE webhook_endpoints SET
      url = coalesce(${opts.url ?? null}::text, url),
      description = coalesce(${opts.description ?? null}::text, description),
      events = coalesce(${opts.events ?? null}::text[], events),
      enabled = coalesce(${opts.enabled ?? null}::boolean, enabled),
      updated_at = now()
    WHERE id = ${opts.id}::uuid AND org_id = ${opts.orgId}::uuid
    RETURNING id, url, description, events, enabled, previous_secret_expires_at, created_at, updated_at`;
  return rows[0];
}

/** Deletes the organisation's endpoint and (cascade) its deliveries; false when it is not the organisation's. */
export async function deleteWebhookEndpoint(db: Db, opts: { orgId: string; id: string }): Promise<boolean> {
  const n = await db.$executeRaw`DELETE FROM webhook_endpoints WHERE id = ${opts.id}::uuid AND org_id = ${opts.orgId}::uuid`;
  return n > 0;
}

/**
 * A new signing secret; the current one becomes the previous and keeps signing for
 * `overlapS` seconds (0: it stops at once). Undefined when it is not the organisation's.
 */
export async function rotateWebhookEndpointSecret(
  db: Db,
  opts: { orgId: string; id: string; secret: string; overlapS: number },
): Promise<WebhookEndpointRow | undefined> {
  const rows = await db.$queryRaw<WebhookEndpointRow[]>`
    UPDATE webhook_endpoints SET
      previous_secret = CASE WHEN ${opts.overlapS}::int > 0 THEN secret END,
      previous_secret_expires_at = CASE WHEN ${opts.overlapS}::int > 0 THEN now() + make_interval(secs => ${opts.overlapS}::int) END,
      secret = ${opts.secret}, updated_at = now()
    WHERE id = ${opts.id}::uuid AND org_id = ${opts.orgId}::uuid
    RETURNING id, url, description, events, enabled, previous_secret_expires_at, created_at, updated_at`;
  return rows[0];
}
