// How many procedure calls one tRPC batch request may carry (issue 11 finding 10: one GET
// batching 200 calls ran them all, 866 KB in 723 ms). The dashboard's httpBatchLink splits
// its batches at the same number (maxItems), so only a hand-made request meets the 400.
// No imports: the browser bundle reads it too.

export const MAX_TRPC_BATCH_CALLS = 20;

/** The number of calls a tRPC request names: `/api/trpc/a,b,c?batch=1` is 3; an unbatched call is 1. */
export function trpcBatchCalls(url: URL, endpoint = "/api/trpc"): number {
  if (url.searchParams.get("batch") !== "1") return 1;
  const path = url.pathname.startsWith(`${endpoint}/`) ? url.pathname.slice(endpoint.length + 1) : url.pathname;
  return path.split(",").length;
}
