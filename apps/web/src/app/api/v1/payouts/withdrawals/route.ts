import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { AppError } from "~/server/errors";
import { handle, json } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { listWithdrawals, parseBaseUnits, requestWithdrawal } from "~/server/services/payouts/withdrawals";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  const limit = Number(new URL(req.url).searchParams.get("limit") ?? 50);
  return json({ withdrawals: await listWithdrawals({ orgId: caller.orgId, limit: Number.isFinite(limit) ? limit : 50 }) });
});

/**
 * `{ amount: "<base units>", fee?: "<base units>", idempotencyKey? }` (or an `Idempotency-Key`
 * header). `fee`, when sent, must be the quoted fee. 201 when created, 200 for a retry.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "payouts:write");
  const body = parseJsonBody(await readBodyLimited(req, 4_096));
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new AppError("BAD_REQUEST", "send a JSON object: { amount }");
  const b = body as { amount?: unknown; fee?: unknown; idempotencyKey?: unknown };
  const headerKey = req.headers.get("idempotency-key");
  const key = headerKey ?? (typeof b.idempotencyKey === "string" ? b.idempotencyKey : null);
  const res = await requestWithdrawal({
    orgId: caller.orgId,
    userId: null,
    amount: parseBaseUnits(b.amount),
    expectedFee: b.fee === undefined ? undefined : parseBaseUnits(b.fee, "fee", { allowZero: true }),
    idempotencyKey: key,
  });
  return json(res.withdrawal, { status: res.created ? 201 : 200 });
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
