import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { getEnv } from "~/server/env";
import { errorResponse } from "~/server/errors";
import { readBodyLimited } from "~/server/http/read-body";

export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  let bounded = req;
  if (req.method === "POST") {
    // Bound the body before tRPC buffers it.
    try {
      const body = await readBodyLimited(req, getEnv().MAX_JOB_BODY_BYTES);
      bounded = new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal });
    } catch (err) {
      return errorResponse(err);
    }
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: bounded,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: req.headers }),
  });
}

export { handler as GET, handler as POST };
