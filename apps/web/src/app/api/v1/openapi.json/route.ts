import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json } from "~/server/http/handle";
import { getOpenApiDocument } from "~/server/openapi/document";

export const dynamic = "force-dynamic";

/** Public: the REST API's OpenAPI 3.1 document, generated once per process from the routes' zod schemas. */
export const GET = handle(async () => json(getOpenApiDocument(), { headers: { "cache-control": "public, max-age=300" } }));

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
