import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prismaAdapter } from "@better-auth/prisma-adapter";
import { betterAuth } from "better-auth";
import { db } from "../db.ts";
import { getEnv } from "../env.ts";
import { logger } from "../logger.ts";
import { publicOrigin, secureCookiesFor, trustedOrigins } from "../request-origin.ts";
import { enqueueEmail } from "../services/mail/outbox.ts";

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
      autoSignIn: true,
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
