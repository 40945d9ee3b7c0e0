import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { AppError } from "~/server/errors";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { parseBaseUnits } from "~/server/services/payouts/withdrawals";
import { claimRewards } from "~/server/services/rewards/claims";

export const dynamic = "force-dynamic";

/**
 * `{ kind?: "vested" | "early", grantId?, amount?: "<base units>", haircut?: "<base units>", idempotencyKey? }`
 * (or an `Idempotency-Key` header). `vested` (the default) moves what has vested (or `amount`
 * of it) to the earnings; `early` takes everything left, the unvested part less the haircut
 * (`haircut`, when sent, is the most it may cost: a larger one now answers 409). 201 when claimed, 200 for a retry; 409 when
 * there is nothing to claim; 404 for a grant that is not the organisation's.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "payouts:write");
  const body = parseJsonBody(await readBodyLimited(req, 4_096));
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new AppError("BAD_REQUEST", 'send a JSON object: { kind: "vested" | "early" }');
  const b = body as { kind?: unknown; grantId?: unknown; amount?: unknown; haircut?: unknown; idempotencyKey?: unknown };
  const kind = b.kind ?? "vested";
  if (kind !== "vested" && kind !== "early") throw new AppError("BAD_REQUEST", 'kind must be "vested" or "early"');
  if (b.grantId !== undefined && b.grantId !== null && typeof b.grantId !== "string")
    throw new AppError("BAD_REQUEST", "grantId must be a string");
  const headerKey = req.headers.get("idempotency-key");
  const bodyKey = typeof b.idempotencyKey === "string" ? b.idempotencyKey : null;
  if (headerKey !== null && bodyKey !== null && headerKey !== bodyKey) {
    throw new AppError("BAD_REQUEST", "the Idempotency-Key header and the body's idempotencyKey differ: send one of them");
  }
  const res = await claimRewards({
    orgId: caller.orgId,
    userId: null,
    kind,
    grantId: typeof b.grantId === "string" ? b.grantId : null,
    amount: b.amount === undefined || b.amount === null ? null : parseBaseUnits(b.amount),
    expectedHaircut: b.haircut === undefined || b.haircut === null ? null : parseBaseUnits(b.haircut, "haircut", { allowZero: true }),
    idempotencyKey: headerKey ?? bodyKey,
  });
  return json(res.claim, { status: res.created ? 201 : 200 });
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
