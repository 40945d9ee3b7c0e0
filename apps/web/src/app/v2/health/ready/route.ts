import { json } from "~/server/http/handle";
import { handleOip, oipMethodsNotAllowed } from "~/server/services/oip/oip-http";
import { getServerReady } from "~/server/services/oip/server-status";

export const dynamic = "force-dynamic";

/** Readiness: 200 `{ ready: true }` while the database answers, else 503 (a Kubernetes readinessProbe). */
export const GET = handleOip(async () => json(await getServerReady(), { headers: { "cache-control": "no-store" } }));

export const { POST, PUT, PATCH, DELETE } = oipMethodsNotAllowed("GET");
