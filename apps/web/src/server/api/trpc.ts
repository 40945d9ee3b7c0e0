/**
 * tRPC in three sections: context, initialisation, procedures (after create-t3-app).
 * Services throw AppError; this file maps it to tRPC codes in one place.
 */
import { randomUUID } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { authenticateRequest } from "../auth/api-keys.ts";
import { type Caller, requireScope } from "../auth/caller.ts";
import { API_SCOPES, type ApiScope } from "../auth/scopes.ts";
import { isCrossSite, publicOrigin } from "../request-origin.ts";
import { ORG_HEADER } from "./org-header.ts";
import { AppError, type AppErrorCode, toAppError } from "../errors.ts";
import { type OrgMembership, resolveSession, type SessionUser } from "../services/accounts/resolve-session.ts";

// 1. Context --------------------------------------------------------------------------
/** Members use the dashboard for everything but managing the organisation's API keys and
 * moving its earnings off the platform (payout address, withdrawals). */
const MEMBER_SCOPES: ReadonlySet<ApiScope> = new Set(API_SCOPES.filter((s) => s !== "keys:write" && s !== "payouts:write"));
const OWNER_SCOPES: ReadonlySet<ApiScope> = new Set(API_SCOPES);

/** A signed-in user acting for one of their organisations (`org` must come from their memberships). */
export function sessionCallerFor(userId: string, org: Pick<OrgMembership, "orgId" | "role">): Caller {
  return { kind: "session", orgId: org.orgId, userId, role: org.role, scopes: org.role === "owner" ? OWNER_SCOPES : MEMBER_SCOPES };
}

/**
 * An API key (`Authorization: Bearer`) wins when present; otherwise the session cookie
 * authenticates a signed-in user, acting for their active organisation if they have one.
 * `orgId` (else the `x-proofgrid-org` header) asks for one organisation instead, as a
 * dashboard page's `?org=` does: an organisation the caller is not a member of is NOT_FOUND,
 * the same answer as for one that does not exist.
 */
export async function createTRPCContext(opts: { headers: Headers; orgId?: string | null }) {
  const requestId = opts.headers.get("x-request-id")?.slice(0, 64) || randomUUID();
  const wantedOrg = opts.orgId || opts.headers.get(ORG_HEADER) || null;
  let caller: Caller = { kind: "anonymous" };
  let authError: AppError | undefined;
  let session: SessionUser | null = null;
  try {
    caller = await authenticateRequest(opts.headers);
    // A cookie is sent whoever made the page: a request from another site's page never uses it.
    if (caller.kind === "anonymous" && !isCrossSite(opts.headers)) {
      session = await resolveSession({ headers: opts.headers });
      if (session) {
        const org = wantedOrg ? session.memberships.find((m) => m.orgId === wantedOrg) : session.activeOrg;
        if (org) caller = sessionCallerFor(session.user.id, org);
        else if (wantedOrg) throw new AppError("NOT_FOUND", "organisation not found");
      }
    } else if (wantedOrg && caller.kind !== "anonymous" && caller.orgId !== wantedOrg) {
      throw new AppError("NOT_FOUND", "organisation not found");
    }
  } catch (err) {
    authError = toAppError(err, requestId);
  }
  // Where links in emails point: the configured public URL, else the host this request reached.
  const origin = publicOrigin(opts.headers);
  // A creating procedure's key may come as a header, as over REST (validated where it is used).
  const idempotencyKeyHeader = opts.headers.get("idempotency-key");
  return { caller, authError, session, requestId, origin, idempotencyKeyHeader };
}
export type TRPCContext = Awaited<ReturnType<typeof createTRPCContext>>;
// 2. Initialisation ---------------------------------------------------------------------
const TRPC_CODE: Record<AppErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  INSUFFICIENT_CREDITS: "PAYMENT_REQUIRED",
  DEBT_OUTSTANDING: "PAYMENT_REQUIRED",
  SPEND_CAP_REACHED: "PAYMENT_REQUIRED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_SUPPORTED",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNPROCESSABLE: "UNPROCESSABLE_CONTENT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: cause instanceof z.ZodError ? z.flattenError(cause) : null,
        appCode: cause instanceof AppError ? cause.code : null,
      },
    };
  },
});

/** Turns an AppError thrown by a service into the matching TRPCError. */
const mapErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) {
      result.error = new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
    } else if (result.error.code === "INTERNAL_SERVER_ERROR" && !(cause instanceof z.ZodError)) {
      const appErr = toAppError(cause ?? result.error, ctx.requestId);
      result.error = new TRPCError({ code: TRPC_CODE[appErr.code], message: appErr.message, cause: appErr });
    }
  }
  return result;
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

// 3. Procedures -------------------------------------------------------------------------
export const publicProcedure = t.procedure.use(mapErrors);

/** A signed-in user (a session cookie), with or without an organisation yet. */
export const userProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.authError) throw ctx.authError;
  if (!ctx.session) throw new AppError("UNAUTHORIZED", "sign in first");
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/**
 * A procedure for one organisation: an API key's, or the active organisation of a
 * signed-in member (membership checked on this request). Data is always scoped to
 * `ctx.org.orgId`, never to an id from the input.
 */
export function orgProcedure(scope: ApiScope) {
  return publicProcedure.use(({ ctx, next }) => {
    if (ctx.authError) throw ctx.authError;
    if (ctx.session && !ctx.session.activeOrg) throw new AppError("FORBIDDEN", "create an organisation first (/onboarding)");
    if (ctx.caller.kind === "session" && !ctx.caller.scopes.has(scope)) {
      throw new AppError("FORBIDDEN", "only the organisation's owners may do this");
    }
    const caller = requireScope(ctx.caller, scope);
    return next({ ctx: { ...ctx, org: caller } });
  });
}

/**
 * A signed-in member acting for their active organisation, never an API key: managing the
 * organisation's people is done by people. `ctx.actor.role` is their role there, read on
 * this request.
 */
export const memberProcedure = userProcedure.use(({ ctx, next }) => {
  // The session's organisation for this request (the active one, or the page's own, both
  // checked against the user's memberships when the context was made).
  const caller = ctx.caller;
  if (caller.kind !== "session") throw new AppError("FORBIDDEN", "create an organisation first (/onboarding)");
  return next({ ctx: { ...ctx, actor: { orgId: caller.orgId, userId: caller.userId, role: caller.role } } });
});

/** A platform administrator (users.is_admin), signed in. */
export const adminProcedure = userProcedure.use(({ ctx, next }) => {
  if (!ctx.session.user.isAdmin) throw new AppError("FORBIDDEN", "only platform administrators may do this");
  return next({ ctx });
});
