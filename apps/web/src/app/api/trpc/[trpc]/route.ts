import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { MAX_TRPC_BATCH_CALLS, trpcBatchCalls } from "~/server/api/batch-limit";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { getEnv } from "~/server/env";
import { AppError, errorResponse } from "~/server/errors";
import { readBodyLimited } from "~/server/http/read-body";

export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  // Before the body is read or any call runs: a batch past the cap runs nothing.
  const calls = trpcBatchCalls(new URL(req.url));
  if (calls > MAX_TRPC_BATCH_CALLS) {
    return errorResponse(
      new AppError(
        "BAD_REQUEST",
        `a tRPC batch may hold at most ${MAX_TRPC_BATCH_CALLS} calls and this one holds ${calls}: send them in several requests`,
        {
          maxBatchCalls: MAX_TRPC_BATCH_CALLS,
          calls,
        },
      ),
    );
  }
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
    // The same cap inside tRPC, should a request reach it by another path.
    maxBatchSize: MAX_TRPC_BATCH_CALLS,
    createContext: () => createTRPCContext({ headers: req.headers }),
  });
}

export { handler as GET, handler as POST };
