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
import type { ApiScope } from "../auth/scopes.ts";
import { AppError, type AppErrorCode, toAppError } from "../errors.ts";

// 1. Context --------------------------------------------------------------------------
export async function createTRPCContext(opts: { headers: Headers }) {
  const requestId = opts.headers.get("x-request-id")?.slice(0, 64) || randomUUID();
  let caller: Caller = { kind: "anonymous" };
  let authError: AppError | undefined;
  try {
    caller = await authenticateRequest(opts.headers);
  } catch (err) {
    authError = toAppError(err, requestId);
  }
  return { caller, authError, requestId };
}
export type TRPCContext = Awaited<ReturnType<typeof createTRPCContext>>;

// 2. Initialisation ---------------------------------------------------------------------
const TRPC_CODE: Record<AppErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  INSUFFICIENT_CREDITS: "PAYMENT_REQUIRED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
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
      result.error = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: appErr.message, cause: appErr });
    }
  }
  return result;
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

// 3. Procedures -------------------------------------------------------------------------
export const publicProcedure = t.procedure.use(mapErrors);

/** A procedure for an organisation's API key (sessions arrive with the web accounts). */
export function orgProcedure(scope: ApiScope) {
  return publicProcedure.use(({ ctx, next }) => {
    if (ctx.authError) throw ctx.authError;
    const caller = requireScope(ctx.caller, scope);
    return next({ ctx: { ...ctx, org: caller } });
  });
}
