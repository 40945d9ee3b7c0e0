import { apiNotFound } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

// Any /api/* address no route serves (an unknown /api/v1 path, a typo): a JSON 404.
export { apiNotFound as GET, apiNotFound as POST, apiNotFound as PUT, apiNotFound as PATCH, apiNotFound as DELETE };
