import { json } from "~/server/http/handle";
import { handleOip, oipMethodsNotAllowed } from "~/server/services/oip/oip-http";

export const dynamic = "force-dynamic";

/** Liveness: this process answers (a Kubernetes livenessProbe). */
export const GET = handleOip(async () => json({ live: true }, { headers: { "cache-control": "no-store" } }));

export const { POST, PUT, PATCH, DELETE } = oipMethodsNotAllowed("GET");
