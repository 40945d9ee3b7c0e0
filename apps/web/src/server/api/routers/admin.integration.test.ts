import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { as, code, signUp } from "../test-callers.ts";

// Platform administration through tRPC: only users.is_admin may call it, and what it does
// goes through the same services (and the same ledger) as everything else.

let admin: string;
let owner: string;
let orgId: string;

const db = setupServiceDatabase({ name: "admin" });

beforeAll(async () => {
  [admin, owner] = [await signUp("ops@example.com"), await signUp("founder@example.com")];
  await db.t.prisma.user.update({ where: { email: "ops@example.com" }, data: { isAdmin: true } });
  orgId = (await (await as(owner)).account.createOrganization({ name: "Founder GPUs", kind: "both" })).orgId;
});

describe("platform administration", () => {
  it("refuses everyone but administrators, on every procedure", async () => {
    for (const caller of [await as(owner), await as(null)]) {
      const codes = await Promise.all([
        code(caller.admin.overview()),
        code(caller.admin.organizations({})),
        code(caller.admin.grantCredits({ orgId, amount: "1000000", idempotencyKey: randomUUID(), memo: "please" })),
        code(caller.admin.quarantined()),
        code(caller.admin.liftQuarantine({ nodeId: randomUUID() })),
        code(caller.admin.licences()),
        code(caller.admin.grantLicence({ orgSlug: "x" })),
        code(caller.admin.revokeLicence({ id: randomUUID() })),
      ]);
      expect(new Set(codes).size).toBe(1);
      expect(["FORBIDDEN", "UNAUTHORIZED"]).toContain(codes[0]);
    }
    // Nothing was granted.
    expect((await (await as(owner)).billing.balance()).available).toBe("0");
  });

  it("grants credits once per form submission, visible in the organisation's balance and the admin list", async () => {
    const a = await as(admin);
    const key = randomUUID();
    const first = await a.admin.grantCredits({ orgId, amount: "250000000", idempotencyKey: key, memo: "launch credits" });
    const again = await a.admin.grantCredits({ orgId, amount: "250000000", idempotencyKey: key, memo: "launch credits" });
    expect(first.created).toBe(true);
    expect(again).toEqual({ transferId: first.transferId, created: false });
    expect((await (await as(owner)).billing.balance()).available).toBe("250000000");
    const orgs = await a.admin.organizations({ search: "founder" });
    expect(orgs.map((o) => [o.name, o.available, o.members])).toEqual([["Founder GPUs", "250000000", 1]]);
    expect(await a.admin.organizations({ search: "nobody%" })).toEqual([]);
    expect(await code(a.admin.grantCredits({ orgId, amount: "-5", idempotencyKey: randomUUID(), memo: "oops" }))).toBe("BAD_REQUEST");
    const overview = await a.admin.overview();
    expect(overview).toMatchObject({ organizations: await db.t.prisma.organization.count(), users: 2, ledger: { ok: true } });
    expect(BigInt(overview.treasury)).toBe(-250_000_000n);
  });

  it("lists quarantined nodes and lifts a quarantine after review, at half priority", async () => {
    const node = await db.t.prisma.node.create({
      data: {
        orgId,
        name: "suspect",
        publicKey: "suspect-key",
        region: "local",
        status: "quarantined",
        quarantineReason: "wrong output on a canary",
      },
      select: { id: true },
    });
    const a = await as(admin);
    expect((await a.admin.quarantined()).map((n) => [n.name, n.reason])).toEqual([["suspect", "wrong output on a canary"]]);
    expect(await a.admin.liftQuarantine({ nodeId: node.id })).toEqual({ lifted: node.id, priorityFactor: 0.5 });
    expect(await a.admin.quarantined()).toEqual([]);
    expect(await code(a.admin.liftQuarantine({ nodeId: node.id }))).toBe("NOT_FOUND");
  });

  it("grants and revokes checker licences to provider organisations", async () => {
    const a = await as(admin);
    const slug = (await db.t.prisma.organization.findUniqueOrThrow({ where: { id: orgId }, select: { slug: true } })).slug;
    const granted = await a.admin.grantLicence({ orgSlug: slug, note: "independent lab" });
    expect((await a.admin.licences()).map((l) => [l.id, l.orgName, l.note])).toEqual([
      [granted.licenceId, "Founder GPUs", "independent lab"],
    ]);
    await a.admin.revokeLicence({ id: granted.licenceId });
    expect(await a.admin.licences()).toEqual([]);
    expect(await code(a.admin.grantLicence({ orgSlug: "no-such-org" }))).toBe("NOT_FOUND");
  });
});
