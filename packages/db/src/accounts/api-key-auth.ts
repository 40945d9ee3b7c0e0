import type { Db } from "../db-types.ts";

/** What an API request's key is checked against: the key and its organisation's request limit. */
export interface ApiKeyAuthRow {
  id: string;
  org_id: string;
  scopes: string[];
  revoked_at: Date | null;
  last_used_at: Date | null;
  /** organizations.api_requests_per_minute: null means the platform's default. */
  api_requests_per_minute: number | null;
}

/**
 * The key whose secret hashes to `secretHash`, with its organisation's limit, in one
 * statement: every API request asks this first (the ORM's relation loading made it two).
 */
export async function loadApiKeyForAuth(db: Db, opts: { secretHash: string }): Promise<ApiKeyAuthRow | null> {
  const rows = await db.$queryRaw<ApiKeyAuthRow[]>`
    SELECT k.id, k.org_id, k.scopes, k.revoked_at, k.last_used_at, o.api_requests_per_minute
    FROM api_keys k JOIN organizations o ON o.id = k.org_id
    WHERE k.secret_hash = ${opts.secretHash}`;
  return rows[0] ?? null;
}
