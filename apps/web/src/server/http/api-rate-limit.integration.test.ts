import { getPgPool, sql } from "@proofgrid/db/sql-client";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import { beforeAll, describe, expect, it } from "vitest";
import * as jobsRoute from "../../app/api/v1/jobs/route.ts";
import * as openAiModelsRoute from "../../app/v1/models/route.ts";
import { createApiKey } from "../auth/api-keys.ts";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { setOrgApiRateLimit } from "./api-rate-limit.ts";

// Per-key request limits (issue 16, item 5), through the route handlers a client reaches:
// every answer to a keyed request carries the RateLimit fields; past the organisation's
// limit, a 429 with Retry-After that runs nothing; other keys and organisations unaffected.

let limitedKey: string;
let secondLimitedKey: string;
let otherKey: string;

async function org(slug: string): Promise<string> {
  const rows = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), ${slug}, ${slug}, 'customer') RETURNING id`;
  return rows[0]?.id as string;
}

setupServiceDatabase({ name: "rate-limit" });

beforeAll(async () => {
  const limited = await org("limited");
  const other = await org("unlimited");
  expect(await setOrgApiRateLimit("limited", 5)).toEqual({ org: "limited", perMinute: 5 });
  limitedKey = (await createApiKey({ orgId: limited, name: "a", scopes: ["jobs:read", "jobs:write", "models:read"] })).key;
  secondLimitedKey = (await createApiKey({ orgId: limited, name: "b", scopes: ["jobs:read"] })).key;
  otherKey = (await createApiKey({ orgId: other, name: "c", scopes: ["jobs:read"] })).key;
});

const get = (key: string) => jobsRoute.GET(new Request("http://localhost/api/v1/jobs", { headers: { authorization: `Bearer ${key}` } }));
const jobCount = async () => Number((await sql().$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM jobs`)[0]?.n);

describe("per-key rate limits", () => {
  it("counts each request against the key's limit in the RateLimit fields, then answers 429 with Retry-After", async () => {
    const seen: [number, string | null, string | null][] = [];
    for (let i = 0; i < 5; i++) {
      const res = await get(limitedKey);
      seen.push([res.status, res.headers.get("ratelimit-limit"), res.headers.get("ratelimit-remaining")]);
      expect(res.headers.get("ratelimit-policy")).toBe("5;w=60");
      expect(Number(res.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    }
    expect(seen).toEqual([
      [200, "5", "4"],
      [200, "5", "3"],
      [200, "5", "2"],
      [200, "5", "1"],
      [200, "5", "0"],
    ]);
    const over = await get(limitedKey);
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(over.headers.get("ratelimit-remaining")).toBe("0");
  });

  it("runs nothing past the limit: a submit is refused before its body is even read", async () => {
    const before = await jobCount();
    const res = await jobsRoute.POST(
      new Request("http://localhost/api/v1/jobs", {
        method: "POST",
        headers: { authorization: `Bearer ${limitedKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "no-such-model", input: { text: "x" } }),
      }),
    );
    // 429, not the 400/404 the body would earn.
    expect(res.status).toBe(429);
    expect(await jobCount()).toBe(before);
  });

  it("limits each key on its own, at its organisation's limit; other organisations get the default", async () => {
    const second = await get(secondLimitedKey);
    expect(second.status).toBe(200);
    expect([second.headers.get("ratelimit-limit"), second.headers.get("ratelimit-remaining")]).toEqual(["5", "4"]);
    const other = await get(otherKey);
    expect(other.status).toBe(200);
    expect(other.headers.get("ratelimit-limit")).toBe("60000");
  });

  it("holds on the OpenAI-compatible routes too, in OpenAI's error shape", async () => {
    const res = await openAiModelsRoute.GET(
      new Request("http://localhost/v1/models", { headers: { authorization: `Bearer ${limitedKey}` } }),
    );
    expect(res.status).toBe(429);
    expect(res.headers.get("ratelimit-limit")).toBe("5");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBeDefined();
  });

  it("counts in rate-limiter-flexible's format (its RateLimiterPostgres reads the same count); an ended window starts again; a revoked key counts nothing", async () => {
    const org3 = await org("windowed");
    const created = await createApiKey({ orgId: org3, name: "w", scopes: ["jobs:read"] });
    for (let i = 0; i < 3; i++) expect((await get(created.key)).status).toBe(200);
    const reader = new RateLimiterPostgres({
      storeClient: getPgPool(),
      storeType: "pool",
      tableName: "rate_limits",
      tableCreated: true,
      keyPrefix: "apikey",
      points: 100,
      duration: 60,
      clearExpiredByTimeout: false,
    });
    const seen = await reader.get(created.id);
    expect(seen?.consumedPoints).toBe(3);
    expect(seen?.msBeforeNext).toBeGreaterThan(50_000);
    // The window ended: the next request is the first of a new one.
    await sql().$executeRaw`UPDATE rate_limits SET expire = ${BigInt(Date.now() - 1)} WHERE key = ${`apikey:${created.id}`}`;
    const fresh = await get(created.key);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("ratelimit-remaining")).toBe("59999");
    expect((await reader.get(created.id))?.consumedPoints).toBe(1);
    // Revoked: a 401, and its count does not move.
    await sql().$executeRaw`UPDATE api_keys SET revoked_at = now() WHERE id = ${created.id}::uuid`;
    const revoked = await get(created.key);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get("ratelimit-limit")).toBeNull();
    expect((await reader.get(created.id))?.consumedPoints).toBe(1);
    // An unknown key writes no row.
    const rows = async () => Number((await sql().$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM rate_limits`)[0]?.n);
    const before = await rows();
    expect((await get(`pg_${"A".repeat(12)}_${"b".repeat(43)}`)).status).toBe(401);
    expect(await rows()).toBe(before);
  });

  it("lets a request through uncounted when the count's write is refused, and still refuses a revoked key", async () => {
    const org4 = await org("write-refused");
    const good = await createApiKey({ orgId: org4, name: "g", scopes: ["jobs:read"] });
    const gone = await createApiKey({ orgId: org4, name: "r", scopes: ["jobs:read"] });
    await sql().$executeRaw`UPDATE api_keys SET revoked_at = now() WHERE id = ${gone.id}::uuid`;
    // A store that refuses writes (a read-only standby, a full disk): every write to the table fails.
    await sql().$executeRaw`CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' USING ERRCODE = '25006'; END $$`;
    await sql()
      .$executeRaw`CREATE TRIGGER refuse_write BEFORE INSERT OR UPDATE ON rate_limits FOR EACH ROW EXECUTE FUNCTION refuse_write()`;
    try {
      const res = await get(good.key);
      expect(res.status).toBe(200);
      // Not counted: no RateLimit fields to tell.
      expect(res.headers.get("ratelimit-limit")).toBeNull();
      expect((await get(gone.key)).status).toBe(401);
      expect((await get(`pg_${"B".repeat(12)}_${"c".repeat(43)}`)).status).toBe(401);
    } finally {
      await sql().$executeRaw`DROP TRIGGER refuse_write ON rate_limits`;
      await sql().$executeRaw`DROP FUNCTION refuse_write()`;
    }
    // Counted again once the store takes writes.
    expect((await get(good.key)).headers.get("ratelimit-remaining")).toBe("59999");
  });

  it("refuses a limit that is not a whole number from 1 to 10 000 000, and an unknown organisation", async () => {
    for (const bad of [0, -1, 1.5, 10_000_001, Number.NaN])
      await expect(setOrgApiRateLimit("limited", bad)).rejects.toThrow(/whole number/);
    await expect(setOrgApiRateLimit("nobody", 10)).rejects.toThrow(/no organisation/);
    expect(await setOrgApiRateLimit("limited", null)).toEqual({ org: "limited", perMinute: 60_000 });
  });
});
