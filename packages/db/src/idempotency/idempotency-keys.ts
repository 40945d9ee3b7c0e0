import type { Db } from "../db-types.ts";

/** An (organisation, operation, key) an idempotent request runs under. */
export interface IdempotencyScope {
  orgId: string;
  operation: string;
  key: string;
}

/** Bounds how long the rest of the caller's transaction waits for a lock (SET LOCAL lock_timeout); past it Postgres raises 55P03. */
export async function setLocalLockTimeout(db: Db, opts: { timeoutMs: number }): Promise<void> {
  await db.$executeRaw`SELECT set_config('lock_timeout', ${`${opts.timeoutMs}ms`}, true)`;
}

/**
 * Takes the transaction-scoped advisory lock of the key: a duplicate that arrives while the
 * first request runs waits here for it (up to the lock timeout), then reads its answer.
 */
export async function lockIdempotencyKey(db: Db, opts: IdempotencyScope): Promise<void> {
  await db.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${opts.orgId}\u0001${opts.operation}\u0001${opts.key}`}, 0))`;
}

/** A stored answer: the request's hash, and the response's status and body (superjson text). */
export interface StoredResponseRow {
  request_hash: string;
  status: number;
  response: string;
}

/** The answer stored under the key in the last `keepMs`, if any. */
export async function loadStoredResponse(db: Db, opts: IdempotencyScope & { keepMs: number }): Promise<StoredResponseRow | undefined> {
  const { orgId, operation, key } = opts;
  const rows = await db.$queryRaw<StoredResponseRow[]>`
    SELECT request_hash, status, response FROM idempotency_keys
    WHERE org_id = ${orgId}::uuid AND operation = ${operation} AND key = ${key}
      AND created_at > now() - make_interval(secs => ${opts.keepMs / 1000})`;
  return rows[0];
}

/**
 * Stores the first answer under the key, in the caller's transaction. A row past its keep
 * time that the purge has not reached yet is replaced.
 */
export async function storeIdempotentResponse(
  db: Db,
  opts: IdempotencyScope & { requestHash: string; status: number; response: string },
): Promise<void> {
  const { orgId, operation, key, requestHash } = opts;
  await db.$executeRaw`
    INSERT INTO idempotency_keys (org_id, operation, key, request_hash, status, response)
    VALUES (${orgId}::uuid, ${operation}, ${key}, ${requestHash}, ${opts.status}, ${opts.response})
    ON CONFLICT (org_id, operation, key) DO UPDATE
      SET request_hash = excluded.request_hash, status = excluded.status, response = excluded.response, created_at = now()`;
}

/** Deletes up to `limit` keys older than `keepMs`; returns how many. */
export async function purgeIdempotencyKeysOlderThan(db: Db, opts: { keepMs: number; limit: number }): Promise<number> {
  return db.$executeRaw`
    DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => ${opts.keepMs / 1000}) LIMIT ${opts.limit}))`;
}
