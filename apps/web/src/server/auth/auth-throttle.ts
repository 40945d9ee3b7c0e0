import { createHash } from "node:crypto";
import { getPgPool } from "@proofgrid/db/sql-client";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { type Env, getEnv } from "../env.ts";
import { logger } from "../logger.ts";

// Limits on guessing passwords and on flooding inboxes, kept in Postgres (rate_limits,
// rate-limiter-flexible's store) so they hold across every web process:
// - per account (the email, hashed): after SIGNIN_FREE_FAILURES wrong passwords within a
//   day the account locks for SIGNIN_BACKOFF_BASE_MS, doubling with each further failure
//   up to SIGNIN_BACKOFF_MAX_MS; while locked, even the right password is refused (429,
//   Retry-After), and tries are not counted (so an attacker cannot extend the lock beyond
//   the backoff of its next failure). A successful sign-in clears the count.
// - per client address (http/client-address.ts: the socket's, X-Forwarded-For only from
//   TRUSTED_PROXIES): SIGNIN_ADDRESS_ATTEMPTS sign-in tries per 10 minutes.
// - password reset requests: RESET_ACCOUNT_REQUESTS per account per hour and
//   RESET_ADDRESS_REQUESTS per address per hour; sign-ups: SIGNUP_ADDRESS_REQUESTS per
//   address per hour. The same answer whether or not the account exists.

type ThrottleEnv = Pick<
  Env,
  | "SIGNIN_FREE_FAILURES"
  | "SIGNIN_BACKOFF_BASE_MS"
  | "SIGNIN_BACKOFF_MAX_MS"
  | "SIGNIN_ADDRESS_ATTEMPTS"
  | "RESET_ACCOUNT_REQUESTS"
  | "RESET_ADDRESS_REQUESTS"
  | "SIGNUP_ADDRESS_REQUESTS"
>;

const TABLE = "rate_limits";
const DAY_S = 86_400;

interface Limiters {
  pool: pg.Pool;
  env: ThrottleEnv;
  signinFails: RateLimiterPostgres;
  signinLock: RateLimiterPostgres;
  signinByAddress: RateLimiterPostgres;
  resetByAccount: RateLimiterPostgres;
  resetByAddress: RateLimiterPostgres;
  signupByAddress: RateLimiterPostgres;
}

let cached: Limiters | undefined;

function limiters(): Limiters {
  const pool = getPgPool();
  if (cached?.pool === pool) return cached;
  const env = getEnv();
  const make = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({ storeClient: pool, storeType: "pool", tableName: TABLE, tableCreated: true, keyPrefix, points, duration });
  cached = {
    pool,
    env,
    // A plain counter of failures (never rejects by itself): the lock below acts on it.
    signinFails: make("signin-fail", 1_000_000, DAY_S),
    signinLock: make("signin-lock", 1, DAY_S),
    signinByAddress: make("signin-addr", env.SIGNIN_ADDRESS_ATTEMPTS, 600),
    resetByAccount: make("reset-acct", env.RESET_ACCOUNT_REQUESTS, 3_600),
    resetByAddress: make("reset-addr", env.RESET_ADDRESS_REQUESTS, 3_600),
    signupByAddress: make("signup-addr", env.SIGNUP_ADDRESS_REQUESTS, 3_600),
  };
  return cached;
}

/** Accounts are keyed by a hash of the address: the table never holds an email. */
export function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 40);
}

export class ThrottledError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = "ThrottledError";
  }
}

async function consumeOrThrow(limiter: RateLimiterPostgres, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw new ThrottledError(message, err.msBeforeNext);
    throw err;
  }
}

/** Before checking a password: refuses a locked account or a flooding address (ThrottledError). */
export async function beforeSignIn(opts: { email: string; address: string }): Promise<void> {
  const l = limiters();
  const lock = await l.signinLock.get(accountKey(opts.email));
  if (lock && lock.consumedPoints > 1 && lock.msBeforeNext > 0) {
    throw new ThrottledError("too many wrong passwords for this account: wait, then try again", lock.msBeforeNext);
  }
  await consumeOrThrow(l.signinByAddress, opts.address, "too many sign-in attempts from this address: wait, then try again");
}

/** After a password was checked: a failure counts toward the lock, a success clears it. */
export async function afterSignIn(opts: { email: string; ok: boolean }): Promise<void> {
  const l = limiters();
  const key = accountKey(opts.email);
  if (opts.ok) {
    await l.signinFails.delete(key);
    return;
  }
  const fails = (await l.signinFails.penalty(key, 1)).consumedPoints;
  if (fails >= l.env.SIGNIN_FREE_FAILURES) {
    const ms = Math.min(l.env.SIGNIN_BACKOFF_MAX_MS, l.env.SIGNIN_BACKOFF_BASE_MS * 2 ** Math.min(30, fails - l.env.SIGNIN_FREE_FAILURES));
    await l.signinLock.block(key, Math.max(1, Math.ceil(ms / 1000)));
    logger.warn({ account: key, fails, lockMs: ms }, "sign-in: account locked after wrong passwords");
  }
}

export async function beforePasswordResetRequest(opts: { email: string; address: string }): Promise<void> {
  const l = limiters();
  await consumeOrThrow(l.resetByAddress, opts.address, "too many password reset requests from this address: wait, then try again");
  await consumeOrThrow(l.resetByAccount, accountKey(opts.email), "too many password reset requests for this address: wait, then try again");
}

export async function beforeSignUp(opts: { address: string }): Promise<void> {
  await consumeOrThrow(limiters().signupByAddress, opts.address, "too many sign-ups from this address: wait, then try again");
}
