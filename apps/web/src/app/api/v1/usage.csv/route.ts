import { createTRPCContext } from "~/server/api/trpc";
import { requireScope } from "~/server/auth/caller";
import { handle } from "~/server/http/handle";
import { exportUsageCsv } from "~/server/services/usage/export-usage-csv";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/**
 * The organisation's finished jobs as CSV: `?from=&to=` (dates or ISO times, at most 93
 * days, default the last 30 days). An API key (`jobs:read`) or, for the dashboard's
 * download link, the session cookie with `?org=` for the page's organisation — the same
 * authentication as tRPC, so the same organisation checks.
 */
export const GET = handle(async (req) => {
  const q = new URL(req.url).searchParams;
  const ctx = await createTRPCContext({ headers: req.headers, orgId: q.get("org") });
  if (ctx.authError) throw ctx.authError;
  const caller = requireScope(ctx.caller, "jobs:read");
  const csv = await exportUsageCsv({
    orgId: caller.orgId,
    request: { from: q.get("from") ?? undefined, to: q.get("to") ?? undefined },
  });
  return new Response(csv.body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${csv.filename}"`,
      "cache-control": "private, no-store",
    },
  });
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
