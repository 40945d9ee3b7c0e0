import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prismaAdapter } from "@better-auth/prisma-adapter";
import { betterAuth } from "better-auth";
import { createEmailVerificationToken } from "better-auth/api";
import { db } from "../db.ts";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";
import { publicOrigin, secureCookiesFor, trustedOrigins } from "../request-origin.ts";
import { type EmailMessage, enqueueEmail } from "../services/mail/outbox.ts";

/**
 * The secret that signs session cookies. Production sets BETTER_AUTH_SECRET on every web
 * replica; a single-machine install (`npm start`, tests) keeps one in its data directory,
 * created once (0600), like the platform's receipt key.
 */
function authSecret(): string {
  const env = getEnv();
  if (env.BETTER_AUTH_SECRET) return env.BETTER_AUTH_SECRET;
  const file = join(env.PROOFGRID_DATA_DIR, "auth-secret");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(env.PROOFGRID_DATA_DIR, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    } catch {
      // Another process created it first: use theirs.
    }
    return readFileSync(file, "utf8").trim();
  }
}

/**
 * The confirmation link for better-auth's `url` (whose token and callbackURL it keeps), on
 * the origin the person used when that is a loopback one (localhost or 127.0.0.1: a cookie
 * set on the other would not reach their tab), else on the site's public address.
 */
function linkForRequest(url: string, request: Request | undefined): string {
  const origin = publicOrigin(request?.headers) ?? siteOrigin();
  const { search } = new URL(url, "http://base.invalid");
  if (!origin) logger.error("confirmation link is not absolute: set PROOFGRID_URL (the site's public address) for links in emails");
  return `${origin ?? ""}/api/auth/verify-email${search}`;
}

/** PROOFGRID_URL, else http://localhost:<served port>; null before the port is known. */
function siteOrigin(): string | null {
  return getEnv().PROOFGRID_URL?.replace(/\/$/, "") ?? trustedOrigins()[0] ?? null;
}

/**
 * A sign-up for an address that has an account: its owner hears of it, and nobody else.
 * An unconfirmed account gets a fresh confirmation link (its first may be lost), a confirmed
 * one a note that says where to sign in or reset the password.
 */
async function existingAccountNotice(
  user: { id: string; email: string; emailVerified: boolean; name: string },
  request: Request | undefined,
): Promise<void> {
  const origin = publicOrigin(request?.headers) ?? siteOrigin() ?? "";
  if (!user.emailVerified) {
    // The same link better-auth sends on sign-up, made here: its own resend endpoint waits
    // half a second, which would make this answer slower than a new account's.
    const token = await createEmailVerificationToken(authSecret(), user.email, undefined, VERIFICATION_EXPIRES_S, { userId: user.id });
    const callbackURL = await callbackOf(request);
    await enqueueEmail(
      verificationEmail(user, `${origin}/api/auth/verify-email?token=${token}&callbackURL=${encodeURIComponent(callbackURL)}`),
    );
    return;
  }
  await enqueueEmail({
    to: user.email,
    kind: "account_exists",
    subject: "Someone tried to sign up with your Proofgrid email",
    text: `Someone, maybe you, tried to create a Proofgrid account with ${user.email}. This address already has an account, so none was created.\n\nTo sign in: ${origin}/signin\nForgot your password? ${origin}/forgot-password\n\nIf it was not you, you need do nothing: your account is unchanged.`,
  });
}

/** The sign-up's callbackURL when it is a path on this site, else the default (on to onboarding). */
async function callbackOf(request: Request | undefined): Promise<string> {
  try {
    const body = (await request?.clone().json()) as { callbackURL?: unknown } | undefined;
    const url = body?.callbackURL;
    if (typeof url === "string" && url.length <= 500 && url.startsWith("/") && !url.startsWith("//") && !url.includes("\\")) return url;
  } catch {
    // No readable body: the default.
  }
  return "/signin?next=%2Fonboarding";
}

const VERIFICATION_EXPIRES_S = 86_400;

function verificationEmail(user: { email: string; name: string }, url: string): EmailMessage {
  return {
    to: user.email,
    kind: "email_verification",
    subject: "Confirm your Proofgrid email",
    text: `Welcome to Proofgrid${user.name ? `, ${user.name}` : ""}.\n\nTo confirm that ${user.email} is yours and finish creating your account, open this link within a day:\n${url}\n\nIf you did not sign up for Proofgrid, ignore this email: without the link, nobody can sign in as you.`,
  };
}

function createAuth(prisma: ReturnType<typeof db>) {
  const env = getEnv();
  return betterAuth({
    appName: "Proofgrid",
    secret: authSecret(),
    // PROOFGRID_URL, else http://localhost:<served port>: never inferred from a request's
    // URL or Host, which better-auth would then trust as an origin too.
    baseURL: env.PROOFGRID_URL ?? trustedOrigins()[0],
    // CSRF: better-auth refuses a cookie-bearing POST (and a sign-in or sign-up) from any other
    // origin. PROOFGRID_URL, else the loopback origins of the served port (request-origin.ts).
    trustedOrigins: () => trustedOrigins(),
    // Prisma 7's generated client (prisma-client + PrismaPg adapter) works with the adapter as is.
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 10,
      maxPasswordLength: 128,
      // A new account signs in only from the link emailed to its address. Sign-up then answers
      // an address that already has an account exactly as it answers a new one (better-auth's
      // generic duplicate response, with a password hash to even the timing), and the owner is
      // emailed instead (onExistingUserSignUp): the form no longer tells who has an account.
      requireEmailVerification: true,
      onExistingUserSignUp: async ({ user }, request) => {
        await existingAccountNotice(user, request);
      },
      // A reset link by email (the outbox: SMTP when SMTP_URL is set, else the server log),
      // valid for an hour and once; resetting signs every other session out.
      resetPasswordTokenExpiresIn: 3_600,
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: async ({ user, token }, request) => {
        // Straight to the page that asks for the new password, on the public URL (or the
        // origin the request came to): a link in an email must be absolute.
        const origin = publicOrigin(request?.headers);
        if (!origin) {
          // Not thrown: an error only for addresses with an account would tell who has one.
          logger.error({ userId: user.id }, "password reset not sent: set PROOFGRID_URL (the site's public address) for links in emails");
          return;
        }
        const url = `${origin}/reset-password?token=${encodeURIComponent(token)}`;
        await enqueueEmail({
          to: user.email,
          kind: "password_reset",
          subject: "Reset your Proofgrid password",
          text: `Someone asked to reset the password of your Proofgrid account (${user.email}).\n\nTo choose a new password, open this link within an hour:\n${url}\n\nIf it was not you, ignore this email: your password stays as it is.`,
        });
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      // Signing in to an unconfirmed account sends a fresh link (the first may be lost).
      sendOnSignIn: true,
      // The link signs the person in once (better-auth creates the session only while the
      // address is unconfirmed), and is good for a day.
      autoSignInAfterVerification: true,
      expiresIn: VERIFICATION_EXPIRES_S,
      sendVerificationEmail: async ({ user, url }, request) => {
        await enqueueEmail(verificationEmail(user, linkForRequest(url, request)));
      },
    },
    user: {
      additionalFields: { isAdmin: { type: "boolean", required: false, defaultValue: false, input: false } },
    },
    session: {
      modelName: "authSession",
      expiresIn: 30 * 86_400, // 30 days, renewed once a day while in use
      updateAge: 86_400,
      additionalFields: { activeOrgId: { type: "string", required: false, input: false } },
    },
    account: { modelName: "authAccount" },
    verification: { modelName: "authVerification" },
    advanced: {
      database: { generateId: "uuid" },
      // `__Secure-` cookies only over https: better-auth's default follows NODE_ENV, and a
      // production build on plain http (`npm start`) would set a cookie that a browser
      // keeps on localhost only.
      useSecureCookies: secureCookiesFor(env.PROOFGRID_URL),
      // better-auth skips its origin check under NODE_ENV=test or TEST=true, which vitest sets
      // and every web process a test starts inherited: the tests passed with no origin check
      // at all. Always on, so the tests check the real one.
      disableOriginCheck: false,
    },
    // better-auth's own limiter (in production: 3 sign-ins or sign-ups per 10 s per address,
    // in one process's memory, the address read from a client's X-Forwarded-For) stays on for
    // the paths nothing else guards (change-password, change-email, send-verification-email).
    // The three that throttled-auth-handler.ts throttles itself (in Postgres, across web
    // processes, per account with backoff and per trusted client address) are left to it:
    // behind one NAT a fourth person signing in within 10 s was refused, and the browser
    // tests, on a faster machine, signed up a fourth user within 10 s and were too.
    rateLimit: {
      customRules: { "/sign-in/email": false, "/sign-up/email": false, "/request-password-reset": false },
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;

let cached: { prisma: ReturnType<typeof db>; auth: Auth } | undefined;

/** better-auth over the process's one Prisma client (built on first use: `next build` has no database). */
export function getAuth(): Auth {
  const prisma = db();
  if (!cached || cached.prisma !== prisma) cached = { prisma, auth: createAuth(prisma) };
  return cached.auth;
}
