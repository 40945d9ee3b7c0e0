import {
  lockIdempotencyKey,
  loadStoredResponse,
  purgeIdempotencyKeysOlderThan,
  setLocalLockTimeout,
  storeIdempotentResponse,
} from "@proofgrid/db/idempotency/idempotency-keys";
import { sql, sqlTransactionScope } from "@proofgrid/db/sql-client";
import { hashJson } from "@proofgrid/por";
import superjson from "superjson";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";

// One idempotency mechanism for every creating request (Stripe's rule):
// - a key is scoped to the organisation and to the operation it names, resource included
//   (`nodes.stake:<node id>`), so a key reused on another node runs there instead of
//   answering for the first one;
// - the first successful response is stored with a hash of its request in the same
//   transaction as the operation's own writes (sqlTransactionScope), so a crash leaves
//   either both or neither;
// - the same key with the same request replays the stored status and body; with another
//   request it is refused (422), and nothing runs;
// - a duplicate that arrives while the first is running waits for it (an advisory lock on
//   the key, at most IDEMPOTENCY_WAIT_MS) and then replays its answer, instead of racing
//   it into a 409;
// - a request that fails stores nothing (nothing it did was committed): retrying the key
//   runs it again;
// - keys are kept KEEP_MS, then purged by the coordinator.
// REST and tRPC name the same operations, so a client that retries over the other
// transport with the same key gets the same answer.

/** How long a key answers for its first request (Stripe: 24 hours). */
export const IDEMPOTENCY_KEEP_MS = 24 * 3_600_000;
/** How long a duplicate waits for the request holding its key before it is told to retry. */
const IDEMPOTENCY_WAIT_MS = 30_000;
const PURGE_BATCH = 5_000;

/** What a client may send as a key: 1–200 printable characters. */
export const ZIdempotencyKey = z
  .string()
  .min(1, "the idempotency key is empty")
  .max(200, "the idempotency key is longer than 200 characters")
  .regex(/^[\x21-\x7e]+$/, "the idempotency key must be printable ASCII without spaces (a UUID works)");

export interface IdempotentResponse<T> {
  status: number;
  body: T;
  /** True when this is the stored answer of an earlier request. */
  replayed: boolean;
}

/**
 * The key a request carries: the `Idempotency-Key` header, or the `idempotencyKey` field
 * of its body (older clients); both must agree when both are sent.
 */
export function idempotencyKeyOf(headerValue: string | null | undefined, bodyKey: string | undefined): string | undefined {
  const header = headerValue === null || headerValue === undefined ? undefined : headerValue.trim();
  if (header !== undefined) {
    const parsed = ZIdempotencyKey.safeParse(header);
    if (!parsed.success)
      throw new AppError("BAD_REQUEST", `invalid Idempotency-Key header: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    if (bodyKey !== undefined && bodyKey !== header) {
      throw new AppError("BAD_REQUEST", "the Idempotency-Key header and the body's idempotencyKey differ: send one of them");
    }
    return header;
  }
  return bodyKey;
}

/** sha256 of the request's canonical JSON, the key field left out (bigints as decimal strings). */
export function hashRequest(request: unknown): string {
  const plain = JSON.parse(
    JSON.stringify(request ?? null, (k, v) => (k === "idempotencyKey" ? undefined : typeof v === "bigint" ? v.toString() : v)),
  ) as unknown;
  return hashJson(plain);
}

/**
 * Runs `run` once per (organisation, operation, key): see the top of this file. Without a
 * key it just runs. `request` is what the key promises not to change (the parsed body, and
 * anything else the operation depends on that is not already in `operation`).
 */
export async function runIdempotent<T>(
  opts: { orgId: string; operation: string; key: string | undefined; request: unknown },
  run: () => Promise<{ status: number; body: T }>,
): Promise<IdempotentResponse<T>> {
  if (opts.key === undefined) return { ...(await run()), replayed: false };
  const { orgId, operation, key } = opts;
  const requestHash = hashRequest(opts.request);
  try {
    return await sqlTransactionScope(async (tx) => {
      // Bounds the wait for the lock below (and any row lock the operation takes).
      await setLocalLockTimeout(tx, { timeoutMs: IDEMPOTENCY_WAIT_MS });
      await lockIdempotencyKey(tx, { orgId, operation, key });
      const stored = await loadStoredResponse(tx, { orgId, operation, key, keepMs: IDEMPOTENCY_KEEP_MS });
      if (stored) {
        if (stored.request_hash !== requestHash) {
          throw new AppError(
            "UNPROCESSABLE",
            "this idempotency key was already used for a different request: send the same request to get its answer again, or use a new key",
            { idempotencyKey: key },
          );
        }
        return { status: stored.status, body: superjson.parse<T>(stored.response), replayed: true };
      }
      const res = await run();
      const response = superjson.stringify(res.body);
      await storeIdempotentResponse(tx, { orgId, operation, key, requestHash, status: res.status, response });
      return { ...res, replayed: false };
    });
  } catch (err) {
    if (typeof err === "object" && err !== null && (err as { code?: unknown }).code === "55P03") {
      throw new AppError(
        "CONFLICT",
        `a request with this idempotency key is still running after ${IDEMPOTENCY_WAIT_MS / 1000} s: retry it later`,
        {
          idempotencyKey: key,
        },
      );
    }
    throw err;
  }
}

/** Deletes keys past their 24 hours (coordinator), a bounded batch per call. */
export async function purgeIdempotencyKeys(): Promise<number> {
  const deleted = await purgeIdempotencyKeysOlderThan(sql(), { keepMs: IDEMPOTENCY_KEEP_MS, limit: PURGE_BATCH });
  if (deleted > 0) logger.info({ deleted }, "idempotency keys purged");
  return deleted;
}
