import { type ChainConfig, chainConfigFromEnv } from "@proofgrid/chain";
import { z } from "zod";
import { ZThrottleEnv } from "./config/auth-env.ts";
import { ZCoordinatorEnv } from "./config/coordinator-env.ts";
import { ZHttpEnv } from "./config/http-env.ts";
import { ZMailEnv } from "./config/mail-env.ts";
import { ZModelsEnv } from "./config/models-env.ts";
import { ZPayoutEnv } from "./config/payout-env.ts";
import { ZPorEnv } from "./config/por-env.ts";
import { ZReservationEnv } from "./config/reservation-env.ts";
import { ZRewardsEnv } from "./config/rewards-env.ts";
import { ZWebhookEnv } from "./config/webhook-env.ts";

// The web app's and the coordinator's one configuration (issue 14): every variable either
// process reads is declared here or in config/ (one schema per domain, merged below), with
// its unit in its name, validated with zod when the process starts (getEnv() in
// instrumentation.ts and run-stack). Nothing else in apps/web reads process.env (biome's
// noProcessEnv, biome.json); domain modules derive their policies from getEnv().

/** An unset variable and an empty one mean the same (a `.env` line `STRIPE_SECRET_KEY=`). */
const unsetIfEmpty = (v: unknown) => (v === "" ? undefined : v);

// Parsed on first use, not at import: `next build` imports route modules without a database.
const ZCoreEnv = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required"),
  PROOFGRID_DATA_DIR: z.string().default(".data"),
  /** Price of one Compute Unit in token base units (1 token = 10^6). */
  PRICE_PER_CU_BASE_UNITS: z.coerce.number().int().positive().max(1e12).default(50_000),
  LEASE_DURATION_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  /** Upper bound on one long-poll lease request (design.md: ≤ 30 s). */
  LEASE_LONG_POLL_MAX_MS: z.coerce.number().int().min(0).max(30_000).default(25_000),
  /** Fallback polling period while waiting for a NOTIFY wake-up. */
  JOB_POLL_FALLBACK_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** Set to 0 to disable LISTEN/NOTIFY and rely on polling alone (benchmarks). */
  JOB_NOTIFY: z.enum(["0", "1"]).default("1"),
  NODE_SIGNATURE_MAX_SKEW_MS: z.coerce.number().int().min(1_000).max(900_000).default(300_000),
  MAX_JOB_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(64 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /** Jobs one POST /api/v1/jobs/batch may submit (its body is bounded by MAX_JOB_BODY_BYTES as a whole). */
  JOB_BATCH_MAX_ITEMS: z.coerce.number().int().min(1).max(1_000).default(100),
  MAX_NODE_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(64 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  /** ed25519 seed (base64url, 32 bytes) of the platform's receipt countersigning key. */
  PLATFORM_SIGNING_KEY: z.string().optional(),
  REGISTRATION_TOKEN_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(30 * 86_400_000)
    .default(86_400_000),
  /** Where the platform runs: the location of workers registered with region `local` and
   * of clients that give no region (edge placement). */
  PLATFORM_REGION: z.string().default("eu-central"),
  /** Group commit of completions (issue 15): completions that arrive while one group's
   * transaction runs are settled together in the next, one COMMIT for many; `0` settles
   * each in a transaction of its own. */
  COMPLETION_GROUP_COMMIT: z.enum(["0", "1"]).default("1"),
  /** Completions settled in one group commit at most. */
  COMPLETION_GROUP_MAX: z.coerce.number().int().min(1).max(500).default(64),
  /** How long a group waits for more completions before it starts (0: it starts at once and
   * only completions that came while the previous group ran join it). */
  COMPLETION_GROUP_WINDOW_MS: z.coerce.number().int().min(0).max(1_000).default(0),
  /** An assignment the worker does not lease within this goes to the next candidate. */
  DISPATCH_OFFER_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** Public feeds (explorer, /network/recent, /network/live, diagnostics) count jobs in
   * buckets of this length, all purposes alike, and show a bucket only this long after it
   * closed: no job, challenge or not, can be matched to a lease (issue 12). */
  PUBLIC_FEED_BUCKET_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  PUBLIC_FEED_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
  /** Dispatcher polling fallback when no NOTIFY arrives. */
  DISPATCH_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(500),
  /** Jobs an organisation may have assigned or running at once; 0 = no limit. Per-organisation
   * overrides live in organizations.max_concurrent_jobs. */
  ORG_MAX_CONCURRENT_JOBS: z.coerce.number().int().min(0).max(1_000_000).default(0),
  /** Backpressure: queued jobs an organisation may have at once (429 beyond). */
  ORG_MAX_QUEUED_JOBS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** Backpressure: when the estimated wait for a model exceeds this, submits get 429. */
  MAX_QUEUE_WAIT_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000),
  /** Signs session cookies; default: a secret kept in PROOFGRID_DATA_DIR (single-machine installs). */
  BETTER_AUTH_SECRET: z.string().min(32).optional(),
  /** The public URL of the web app (auth's base URL, the one trusted origin, links in emails);
   * default: the loopback origins of PORT (a single-machine install). */
  PROOFGRID_URL: z.url().optional(),
  /** Card payments (Stripe). Without the secret key the billing page says card payments are
   * not configured and admin grants remain the only way to get credits. */
  STRIPE_SECRET_KEY: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]{1,200}$/, "a Stripe secret key (sk_test_… or sk_live_…)")
      .optional(),
  ),
  /** Signs the events Stripe posts to /api/stripe/webhook (whsec_…); without it they are refused. */
  STRIPE_WEBHOOK_SECRET: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=_-]{1,200}$/, "a webhook signing secret (whsec_…)")
      .optional(),
  ),
  /** Where the Stripe SDK sends its requests instead of api.stripe.com (the tests' local
   * server): protocol, host and port of this URL. Used only when set. */
  STRIPE_API_BASE: z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).optional()),
  /** The currency cards are charged in (ISO 4217, lower case) and the price of one token in
   * its minor units (cents for usd): 1 = one token costs $0.01. */
  BILLING_CURRENCY: z
    .string()
    .regex(/^[a-z]{3}$/, "a lower-case ISO 4217 code, e.g. usd")
    .default("usd"),
  TOKEN_PRICE_CENTS: z.coerce.number().int().min(1).max(1_000_000).default(1),
  /** The packs the billing page offers, in whole tokens, comma-separated (at most 6). */
  CREDIT_PACKS: z
    .string()
    .default("1000,5000,20000")
    .transform((v, ctx) => {
      const packs = v.split(",").map((p) => Number(p.trim()));
      if (packs.length < 1 || packs.length > 6 || packs.some((p) => !Number.isInteger(p) || p < 1 || p > 100_000_000)) {
        ctx.addIssue({ code: "custom", message: "1 to 6 whole token amounts, e.g. 1000,5000,20000" });
        return z.NEVER;
      }
      return packs;
    }),
  /** Bounds of one purchase in whole tokens (a custom amount outside them is a 400). */
  BILLING_MIN_PURCHASE_TOKENS: z.coerce.number().int().min(1).max(100_000_000).default(100),
  BILLING_MAX_PURCHASE_TOKENS: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Bearer token that /api/metrics requires; unset, that route answers 404. */
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** Where `npm run pack:worker` put the worker package served at /downloads; default: the repo's apps/worker/pack. */
  PROOFGRID_WORKER_PACK_DIR: z.string().optional(),
});

const ZEnv = ZCoreEnv.extend({
  ...ZPorEnv.shape,
  ...ZPayoutEnv.shape,
  ...ZRewardsEnv.shape,
  ...ZCoordinatorEnv.shape,
  ...ZThrottleEnv.shape,
  ...ZMailEnv.shape,
  ...ZHttpEnv.shape,
  ...ZReservationEnv.shape,
  ...ZWebhookEnv.shape,
  ...ZModelsEnv.shape,
  /** Names the process in logs and in Postgres' application_name (web, coordinator, …). */
  PROOFGRID_SERVICE: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .default("web"),
});

export type Env = z.infer<typeof ZEnv>;

/** One parse of the environment: its variables, and the payout chain built from them. */
interface ParsedEnv {
  env: Env;
  /** Null when no chain is configured. */
  chain: ChainConfig | null;
}

let cached: ParsedEnv | undefined;

/** Money variables renamed to carry their unit: a value set under the old name would be
 * ignored in silence (and the default price or payout limit used), so it stops the start. */
const RENAMED: Readonly<Record<string, string>> = {
  PRICE_PER_CU: "PRICE_PER_CU_BASE_UNITS",
  PAYOUT_FEE: "PAYOUT_FEE_BASE_UNITS",
  PAYOUT_MIN_AMOUNT: "PAYOUT_MIN_BASE_UNITS",
  PAYOUT_MAX_AMOUNT: "PAYOUT_MAX_BASE_UNITS",
  EMISSION_PER_EPOCH: "EMISSION_PER_EPOCH_BASE_UNITS",
  POR_STARTER_ALLOWANCE: "POR_STARTER_ALLOWANCE_BASE_UNITS",
};

/** The old names still set, each with its new one. */
export function renamedVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(RENAMED)
    .filter(([old]) => env[old] !== undefined)
    .map(([old, now]) => `${old} is now ${now} (base units, 1 token = 10^6); set that instead`);
}

/** The cached parse, made again when it is stale (see getEnv). */
function parseEnv(): ParsedEnv {
  if (
    !cached ||
    cached.env.DATABASE_URL !== process.env.DATABASE_URL ||
    cached.env.PROOFGRID_DATA_DIR !== (process.env.PROOFGRID_DATA_DIR ?? ".data")
  ) {
    const renamed = renamedVariables(process.env);
    if (renamed.length > 0) throw new Error(`invalid environment: ${renamed.join("; ")}`);
    const parsed = ZEnv.safeParse(process.env);
    if (!parsed.success) {
      throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
    }
    // packages/chain declares the chain's variables; half a chain fails the parse like any
    // other bad value, at start rather than at the first withdrawal.
    cached = { env: parsed.data, chain: chainConfigFromEnv(process.env) };
  }
  return cached;
}

/**
 * The configuration, parsed once. Parsed again when the process retargets itself to another
 * database (tests and benchmarks seed several) or after resetEnvCache(). Not on every call: the
 * former per-domain readers keyed their caches on the environment's entries, 60 to 120 µs a
 * call on this machine, several calls a request.
 */
export function getEnv(): Env {
  return parseEnv().env;
}

/** For tests and tools that change variables of a running process: the next getEnv() parses again. */
export function resetEnvCache(): void {
  cached = undefined;
}

/** The payout chain (packages/chain declares its variables), or null when none is configured. */
export function getChainConfig(): ChainConfig | null {
  return parseEnv().chain;
}

const ZLogEnv = ZCoreEnv.pick({ LOG_LEVEL: true }).extend({ PROOFGRID_SERVICE: ZEnv.shape.PROOFGRID_SERVICE });

/** What the logger needs at import, before a database is known (`next build` has none). */
export function getLogEnv(): z.infer<typeof ZLogEnv> {
  const parsed = ZLogEnv.safeParse(process.env);
  if (!parsed.success) throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
