import { getEnv } from "~/server/env";
import { metrics, metricsAccess } from "~/server/metrics";

export const dynamic = "force-dynamic";

/** Prometheus, for the operator: `Authorization: Bearer $METRICS_TOKEN`; 404 while METRICS_TOKEN is unset. */
export async function GET(req: Request) {
  const access = metricsAccess(req.headers, getEnv().METRICS_TOKEN);
  if (access === "disabled") return new Response("not found\n", { status: 404 });
  if (access === "unauthorized") {
    return new Response("send Authorization: Bearer <METRICS_TOKEN>\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="metrics"' },
    });
  }
  const { registry } = metrics();
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
