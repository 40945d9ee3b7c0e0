import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { loadApiKeyForAuth } from "@proofgrid/db/accounts/api-key-auth";
import { sql } from "@proofgrid/db/sql-client";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import { logger } from "../logger.ts";
import type { Caller } from "./caller.ts";
import { API_SCOPES, type ApiScope } from "./scopes.ts";
import { API_KEY_COUNT_PREFIX, API_KEY_WINDOW_MS, judgeApiKeyRequest, refuseBlockedApiKey } from "../http/api-rate-limit.ts";
import { pgText } from "../http/safe-text.ts";

// Keys look like `pg_<12-char id>_<43-char secret>`: 256 random bits, so a plain sha256
// of the whole key is a safe stored form (a slow hash protects low-entropy passwords,
// not random keys) and lets a request be authenticated with one indexed lookup.
const KEY_PATTERN = /^pg_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/;
const MAX_KEY_HEADER = 256;

export const ZCreateApiKeyRequest = z.object({
  name: pgText().trim().min(1).max(80),
  scopes: z.array(z.enum(API_SCOPES)).min(1).max(API_SCOPES.length),
});
export type TCreateApiKeyRequest = z.infer<typeof ZCreateApiKeyRequest>;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function randomAlnum(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b < 248) out += alphabet[b % 62]; // 248 = 4·62: rejection sampling keeps it uniform
  }
  return out.length === length ? out : randomAlnum(length);
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  /** Shown once: only its hash is stored. */
  key: string;
}

/**
 * A caller may hand out only what it holds: a key creates keys with a subset of its own
 * scopes, and a signed-in member those of their role (an owner holds every scope). Without
 * this, a key given only `keys:write` (to rotate keys in CI) minted `jobs:write`,
 * `nodes:write` and `billing:read` keys.
 */
export function assertScopesGrantable(granter: ReadonlySet<ApiScope>, requested: readonly ApiScope[]): void {
  const beyond = [...new Set(requested)].filter((s) => !granter.has(s));
  if (beyond.length > 0) {
    throw new AppError(
      "FORBIDDEN",
      `a key can only be given scopes its creator holds; you lack ${beyond.map((s) => `'${s}'`).join(", ")}`,
      {
        scopes: beyond,
      },
    );
  }
}

export async function createApiKey(opts: { orgId: string } & TCreateApiKeyRequest): Promise<CreatedApiKey> {
  const prefix = `pg_${randomAlnum(12)}`;
  const key = `${prefix}_${randomBytes(32).toString("base64url")}`;
  const row = await db().apiKey.create({
    data: { orgId: opts.orgId, name: opts.name, prefix, secretHash: hashApiKey(key), scopes: opts.scopes },
    select: { id: true, name: true, prefix: true },
  });
  return { ...row, scopes: opts.scopes, key };
}

export async function revokeApiKey(opts: { orgId: string; keyId: string }): Promise<void> {
  const res = await db().apiKey.updateMany({
    where: { id: opts.keyId, orgId: opts.orgId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (res.count === 0) throw new AppError("NOT_FOUND", "API key not found");
}

export async function listApiKeys(opts: { orgId: string }) {
  return db().apiKey.findMany({
    where: { orgId: opts.orgId },
    select: { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
}

/** Resolves `Authorization: Bearer <key>` (or `x-api-key`) to a caller; anonymous if absent. */
export async function authenticateRequest(headers: Headers): Promise<Caller> {
  const auth = headers.get("authorization");
  const raw = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : headers.get("x-api-key")?.trim();
  if (!raw) return { kind: "anonymous" };
  if (raw.length > MAX_KEY_HEADER || !KEY_PATTERN.test(raw)) {
    throw new AppError("UNAUTHORIZED", "invalid API key");
  }
  const secretHash = hashApiKey(raw);
  // A key past its limit is refused before any query; the others are looked up and counted
  // in one statement, before anything runs: a request past the key's limit is a 429 that
  // does nothing.
  refuseBlockedApiKey(secretHash);
  let key: Awaited<ReturnType<typeof loadApiKeyForAuth>>;
  try {
    key = await loadApiKeyForAuth(sql(), { secretHash, count: { countAs: API_KEY_COUNT_PREFIX, windowMs: API_KEY_WINDOW_MS } });
  } catch (err) {
    // The count's write refused (a read-only standby, a full disk, a lock or statement
    // timeout): the request goes through uncounted, as when the limit's store is down — the
    // limit protects the service; the lookup alone decides who may call.
    logger.warn({ err: String(err) }, "API rate limit not counted: its store refused the write");
    key = await loadApiKeyForAuth(sql(), { secretHash });
  }
  if (!key) throw new AppError("UNAUTHORIZED", "invalid API key");
  if (key.revoked_at) throw new AppError("UNAUTHORIZED", "this API key was revoked");
  if (key.window_points !== null) judgeApiKeyRequest(secretHash, key.api_requests_per_minute, key.window_points, key.window_expire);
  // last-used is a hint for the key list; writing it at most once a minute keeps a hot
  // key from turning every request into a row update.
  if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > 60_000) {
    void db()
      .apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } })
      .catch(() => undefined);
  }
  const scopes = new Set(key.scopes.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)));
  return { kind: "apiKey", orgId: key.org_id, keyId: key.id, scopes };
}
