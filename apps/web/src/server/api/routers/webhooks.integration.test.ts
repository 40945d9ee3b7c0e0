import { describe, expect, it } from "vitest";
import { createApiKey } from "../../auth/api-keys.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { as, code } from "../test-callers.ts";

// The dashboard's webhooks router through createCaller, against a real Postgres: reading
// takes jobs:read, changing takes keys:write, and each organisation sees only its own.

setupServiceDatabase({ name: "webhooks-router", env: { WEBHOOK_ALLOW_LOCAL_URLS: "1" } });

async function callerOf(orgId: string, scopes: (typeof API_SCOPES)[number][]) {
  const { key } = await createApiKey({ orgId, name: "k", scopes });
  return as(null, { authorization: `Bearer ${key}` });
}

describe("webhooks router", () => {
  it("creates, lists, tests and rotates with keys:write; reads with jobs:read; other organisations see nothing", async () => {
    const org = await createOrg("hooks", "customer");
    const owner = await callerOf(org, [...API_SCOPES]);
    const reader = await callerOf(org, ["jobs:read"]);
    const stranger = await callerOf(await createOrg("stranger", "customer"), [...API_SCOPES]);

    const created = await owner.webhooks.create({ url: "http://127.0.0.1:9/h", events: ["job.succeeded"] });
    expect(created.secret).toMatch(/^whsec_/);
    expect(await code(reader.webhooks.create({ url: "http://127.0.0.1:9/h", events: ["job.failed"] }))).toBe("FORBIDDEN");
    expect(await code(reader.webhooks.rotateSecret({ id: created.id, overlapSeconds: 0 }))).toBe("FORBIDDEN");
    expect((await reader.webhooks.list()).endpoints.map((e) => e.id)).toEqual([created.id]);
    expect((await reader.webhooks.list()).endpoints[0]).not.toHaveProperty("secret");

    const test = await owner.webhooks.sendTest({ id: created.id });
    const log = await reader.webhooks.deliveries({ id: created.id });
    expect(log.deliveries.map((d) => [d.eventId, d.type, d.status])).toEqual([[test.eventId, "webhook.test", "pending"]]);

    expect((await stranger.webhooks.list()).endpoints).toEqual([]);
    expect(await code(stranger.webhooks.deliveries({ id: created.id }))).toBe("NOT_FOUND");
    expect(await code(stranger.webhooks.delete({ id: created.id }))).toBe("NOT_FOUND");
    expect(await code(owner.webhooks.create({ url: "https://example.com/h", events: ["job.nope" as "job.failed"] }))).toBe("BAD_REQUEST");

    const rotated = await owner.webhooks.rotateSecret({ id: created.id, overlapSeconds: 60 });
    expect(rotated.secret).not.toBe(created.secret);
    await owner.webhooks.delete({ id: created.id });
    expect((await reader.webhooks.list()).endpoints).toEqual([]);
  });
});
