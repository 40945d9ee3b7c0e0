import { beforeAll, describe, expect, it } from "vitest";
import { as, code, signUp } from "../api/test-callers.ts";
import { setupServiceDatabase } from "../testing/service-database.ts";

// Who may mint which keys, through tRPC with real sessions and real keys.

let owner: string;

setupServiceDatabase({ name: "keys" });

beforeAll(async () => {
  owner = await signUp("owner@example.com");
  await (await as(owner)).account.createOrganization({ name: "Keyed", kind: "both" });
});

const byKey = (key: string) => as(null, { authorization: `Bearer ${key}` });

describe("API key scopes", () => {
  it("a key with only keys:write cannot mint a broader key, only a subset of its own scopes", async () => {
    const rotator = await (await as(owner)).keys.create({ name: "rotator", scopes: ["keys:write"] });
    const before = (await (await as(owner)).keys.list()).length;
    for (const scopes of [["jobs:write"], ["nodes:write"], ["billing:read"], ["keys:write", "jobs:read"]] as const) {
      expect(await code((await byKey(rotator.key)).keys.create({ name: "broader", scopes: [...scopes] }))).toBe("FORBIDDEN");
    }
    expect((await (await as(owner)).keys.list()).length).toBe(before);
    const same = await (await byKey(rotator.key)).keys.create({ name: "rotated", scopes: ["keys:write"] });
    expect(same.scopes).toEqual(["keys:write"]);
  });

  it("a key with keys:write and jobs:read may pass on jobs:read, not jobs:write", async () => {
    const k = await (await as(owner)).keys.create({ name: "ci", scopes: ["keys:write", "jobs:read"] });
    expect((await (await byKey(k.key)).keys.create({ name: "reader", scopes: ["jobs:read"] })).scopes).toEqual(["jobs:read"]);
    expect(await code((await byKey(k.key)).keys.create({ name: "writer", scopes: ["jobs:read", "jobs:write"] }))).toBe("FORBIDDEN");
  });

  it("an owner's session, which holds every scope, may create a key with any of them", async () => {
    const all = await (await as(owner)).keys.create({
      name: "all",
      scopes: ["jobs:read", "jobs:write", "models:read", "billing:read", "nodes:read", "nodes:write", "keys:write"],
    });
    expect(all.scopes).toHaveLength(7);
  });
});
