import { beforeAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { as, code, signUp, TEST_HOST as HOST } from "../test-callers.ts";
import { resetEnvCache } from "../../env.ts";

// Accounts through the real path: better-auth signs users up and sets a session cookie;
// the tRPC context reads that cookie; every organisation procedure is scoped to the
// session's active organisation, checked against memberships on each request.

let alice: string;
let bob: string;
let aliceOrg: string;
let aliceKeyId: string;
let aliceJobId: string;

const db = setupServiceDatabase({ name: "accounts" });

beforeAll(async () => {
  [alice, bob] = [await signUp("alice@example.com"), await signUp("bob@example.com")];
});

describe("accounts and organisations", () => {
  it("refuses anonymous callers and users without an organisation", async () => {
    expect(await code((await as(null)).account.me())).toBe("UNAUTHORIZED");
    expect(await code((await as(null)).keys.list())).toBe("UNAUTHORIZED");
    expect(await code((await as(bob)).keys.list())).toBe("FORBIDDEN");
    const me = await (await as(bob)).account.me();
    expect(me).toMatchObject({ user: { email: "bob@example.com", isAdmin: false }, activeOrg: null });
  });

  it("creates an organisation whose owner the user becomes, and makes it active", async () => {
    const caller = await as(alice);
    const org = await caller.account.createOrganization({ name: "Acme Vision", kind: "customer" });
    aliceOrg = org.orgId;
    expect(org).toMatchObject({ name: "Acme Vision", kind: "customer", role: "owner" });
    const me = await (await as(alice)).account.me();
    expect(me.activeOrg?.orgId).toBe(aliceOrg);
    expect((await (await as(alice)).billing.balance()).available).toBe("0");
    const second = await (await as(alice)).account.createOrganization({ name: "Acme GPUs", kind: "provider" });
    expect((await (await as(alice)).account.listOrganizations()).map((o) => o.name)).toEqual(["Acme Vision", "Acme GPUs"]);
    expect((await (await as(alice)).account.me()).activeOrg?.orgId).toBe(second.orgId);
    await (await as(alice)).account.setActiveOrganization({ orgId: aliceOrg });
    expect((await (await as(alice)).account.me()).activeOrg?.orgId).toBe(aliceOrg);
  });

  it("creates, lists and revokes API keys for the active organisation; the secret is returned once", async () => {
    const caller = await as(alice);
    const created = await caller.keys.create({ name: "ci", scopes: ["jobs:read", "jobs:write"] });
    aliceKeyId = created.id;
    expect(created.key).toMatch(/^pg_[A-Za-z0-9]{12}_/);
    const list = await caller.keys.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      name: "ci",
      prefix: created.prefix,
      scopes: ["jobs:read", "jobs:write"],
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(JSON.stringify(list)).not.toContain(created.key);
    // The key authenticates on its own, and records when it was last used.
    const byKey = await as(null, { authorization: `Bearer ${created.key}` });
    expect(await byKey.jobs.list({})).toMatchObject({ jobs: [] });
    await expect.poll(async () => (await caller.keys.list())[0]?.lastUsedAt, { timeout: 5_000 }).toBeInstanceOf(Date);
  });

  it("never lets a member of one organisation read or change another's jobs, keys or nodes", async () => {
    const model = await db.t.prisma.model.create({
      data: { id: "a".repeat(64), slug: "m-acc", name: "m", kind: "tensor", description: "", signature: {}, baseCostMilliCu: 1 },
    });
    aliceJobId = (
      await db.t.prisma.job.create({
        data: { orgId: aliceOrg, modelId: model.id, state: "succeeded", costMilliCu: 1, price: 1n, inputHash: "h", inputBytes: 1 },
        select: { id: true },
      })
    ).id;
    await db.t.prisma.node.create({ data: { orgId: aliceOrg, name: "alice-gpu", publicKey: "alice-node-key", region: "local" } });
    expect((await (await as(alice)).jobs.get({ id: aliceJobId })).id).toBe(aliceJobId);
    expect(await (await as(alice)).providers.nodes()).toHaveLength(1);

    await (await as(bob)).account.createOrganization({ name: "Bob Labs", kind: "both" });
    const b = await as(bob);
    expect(await code(b.account.setActiveOrganization({ orgId: aliceOrg }))).toBe("NOT_FOUND");
    expect((await (await as(bob)).account.me()).activeOrg?.name).toBe("Bob Labs");
    expect(await code(b.jobs.get({ id: aliceJobId }))).toBe("NOT_FOUND");
    expect((await b.jobs.list({})).jobs).toEqual([]);
    expect(await b.keys.list()).toEqual([]);
    expect(await code(b.keys.revoke({ id: aliceKeyId }))).toBe("NOT_FOUND");
    expect(await b.providers.nodes()).toEqual([]);
    expect(await code(b.jobs.cancel({ id: aliceJobId }))).toBe("NOT_FOUND");
    expect((await (await as(alice)).keys.list())[0]?.revokedAt).toBeNull();
  });

  it("drops the organisation at once when the membership goes, whatever the session says", async () => {
    const carol = await signUp("carol@example.com");
    const carolUser = await db.t.prisma.user.findUniqueOrThrow({ where: { email: "carol@example.com" }, select: { id: true } });
    await db.t.prisma.membership.create({ data: { userId: carolUser.id, orgId: aliceOrg, role: "member" } });
    const asMember = await as(carol);
    expect((await asMember.jobs.get({ id: aliceJobId })).id).toBe(aliceJobId);
    // Members use the dashboard but do not manage keys.
    expect(await code(asMember.keys.list())).toBe("FORBIDDEN");
    await db.t.prisma.membership.delete({ where: { userId_orgId: { userId: carolUser.id, orgId: aliceOrg } } });
    expect(await code((await as(carol)).jobs.get({ id: aliceJobId }))).toBe("FORBIDDEN");
  });

  it("ignores the session cookie on a request from another site's page", async () => {
    // The port this web process serves (`next start` sets PORT): its loopback origins are the site.
    const port = HOST.split(":")[1] ?? "";
    process.env.PORT = port;
    resetEnvCache();
    try {
      const crossSite = await as(alice, { origin: "https://evil.example" });
      expect(await code(crossSite.keys.list())).toBe("UNAUTHORIZED");
      const sameSite = await as(alice, { origin: `http://${HOST}` });
      expect(await sameSite.keys.list()).toHaveLength(1);
      expect(await (await as(alice, { origin: `http://localhost:${port}` })).keys.list()).toHaveLength(1);
      // Scheme and port count, not just the host (issue 11, finding 11).
      for (const origin of [`https://${HOST}`, "https://127.0.0.1", `http://127.0.0.1:${Number(port) + 1}`]) {
        expect(await code((await as(alice, { origin })).keys.list()), origin).toBe("UNAUTHORIZED");
      }
    } finally {
      delete process.env.PORT;
      resetEnvCache();
    }
  });
});
