import { describe, expect, it } from "vitest";
import { GET as trpcGet, POST as trpcPost } from "~/app/api/trpc/[trpc]/route";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { MAX_TRPC_BATCH_CALLS } from "./batch-limit.ts";

// Issue 11 finding 10: one tRPC batch request ran every call it named (200 calls: 866 KB,
// 723 ms). Through the real route handler: a batch of the cap runs, one more is a 400 that
// says the cap, and nothing in it runs.

setupServiceDatabase({ name: "batch" });

/** A GET batch of `n` calls of the public `market.regions` query, as httpBatchLink sends it. */
function batch(n: number): Request {
  const paths = Array(n).fill("market.regions").join(",");
  const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: null }]))));
  return new Request(`http://localhost:3000/api/trpc/${paths}?batch=1&input=${input}`, { method: "GET" });
}

describe("tRPC batches", () => {
  it(`run up to ${MAX_TRPC_BATCH_CALLS} calls`, async () => {
    const res = await trpcGet(batch(MAX_TRPC_BATCH_CALLS));
    expect(res.status).toBe(200);
    const body = (await res.json()) as unknown[];
    expect(body).toHaveLength(MAX_TRPC_BATCH_CALLS);
  });

  it("refuse a larger batch with a 400 that names the cap, before any call runs", async () => {
    for (const n of [MAX_TRPC_BATCH_CALLS + 1, 200]) {
      const res = await trpcGet(batch(n));
      expect(res.status, String(n)).toBe(400);
      const { error } = (await res.json()) as {
        error: { code?: string; message?: string; details?: { maxBatchCalls?: number; calls?: number } };
      };
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(new RegExp(`at most ${MAX_TRPC_BATCH_CALLS} calls and this one holds ${n}`));
      expect(error.details).toMatchObject({ maxBatchCalls: MAX_TRPC_BATCH_CALLS, calls: n });
    }
    // A POST batch (mutations) is refused the same way, its body never read.
    const paths = Array(MAX_TRPC_BATCH_CALLS + 1)
      .fill("jobs.submit")
      .join(",");
    const post = await trpcPost(
      new Request(`http://localhost:3000/api/trpc/${paths}?batch=1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      }),
    );
    expect(post.status).toBe(400);
  });
});
