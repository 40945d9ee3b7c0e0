import { beforeAll, describe, expect, it } from "vitest";
import { MAX_INVITATIONS_PER_DAY } from "../../services/accounts/members.ts";
import { emailsTo } from "../../services/mail/outbox.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { as, code, signUp } from "../test-callers.ts";

// Members and invitations through the real path (better-auth sessions, tRPC callers):
// owners invite with a role, the link works once for the invited address only, roles
// change, people leave or are removed, and an organisation always keeps an owner.

let owner: string;
let dana: string;
let eve: string;
let orgId: string;

const db = setupServiceDatabase({ name: "members" });

beforeAll(async () => {
  [owner, dana, eve] = [await signUp("olga@example.com"), await signUp("dana@example.com"), await signUp("eve@example.com")];
  orgId = (await (await as(owner)).account.createOrganization({ name: "Olga Robotics", kind: "customer" })).orgId;
});

async function userId(email: string): Promise<string> {
  return (await db.t.prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true } })).id;
}

describe("members and invitations", () => {
  let danaLink: string;

  it("an owner invites by email; the link's secret is returned once and only its hash is stored", async () => {
    const inv = await (await as(owner)).members.invite({ email: "Dana@Example.com", role: "member" });
    expect(inv).toMatchObject({ email: "dana@example.com", role: "member" });
    expect(inv.path).toBe(`/invite/${inv.token}`);
    // And emailed, with the absolute link, through the outbox.
    const [mail] = await emailsTo("dana@example.com");
    expect(mail).toMatchObject({ kind: "invitation", subject: "olga invited you to Olga Robotics on Proofgrid" });
    expect(mail?.body_text).toContain(`http://127.0.0.1:3999/invite/${inv.token}`);
    danaLink = inv.token;
    const row = await db.t.prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } });
    expect(JSON.stringify(row)).not.toContain(inv.token);
    const list = await (await as(owner)).members.list();
    expect(list.members.map((m) => [m.email, m.role])).toEqual([["olga@example.com", "owner"]]);
    expect(list.invitations.map((i) => i.email)).toEqual(["dana@example.com"]);
    expect(JSON.stringify(list)).not.toContain(inv.token);
    // A second open invitation to the same address is a conflict; a malformed address is refused.
    expect(await code((await as(owner)).members.invite({ email: "dana@example.com" }))).toBe("CONFLICT");
    expect(await code((await as(owner)).members.invite({ email: "not-an-email" }))).toBe("BAD_REQUEST");
  });

  it("shows what the link offers to anyone holding it, and nothing for a forged one", async () => {
    expect(await (await as(null)).members.describeInvitation({ token: danaLink })).toEqual({
      usable: true,
      orgName: "Olga Robotics",
      role: "member",
      email: "dana@example.com",
    });
    const forged = await (await as(null)).members.describeInvitation({ token: `pgi_${"A".repeat(32)}` });
    expect(forged.usable).toBe(false);
  });

  it("works only for the invited address, and only once", async () => {
    expect(await code((await as(eve)).members.accept({ token: danaLink }))).toBe("FORBIDDEN");
    expect(await code((await as(null)).members.accept({ token: danaLink }))).toBe("UNAUTHORIZED");
    const joined = await (await as(dana)).members.accept({ token: danaLink });
    expect(joined).toEqual({ orgId, orgName: "Olga Robotics", role: "member" });
    expect((await (await as(dana)).account.me()).activeOrg).toMatchObject({ orgId, role: "member" });
    expect(await code((await as(dana)).members.accept({ token: danaLink }))).toBe("NOT_FOUND");
    expect((await (await as(null)).members.describeInvitation({ token: danaLink })).usable).toBe(false);
    expect((await (await as(owner)).members.list()).invitations).toEqual([]);
  });

  it("a member sees the organisation's people but cannot invite, change roles or remove others", async () => {
    const d = await as(dana);
    expect((await d.members.list()).members.map((m) => m.email)).toEqual(["olga@example.com", "dana@example.com"]);
    expect(await code(d.members.invite({ email: "eve@example.com" }))).toBe("FORBIDDEN");
    expect(await code(d.members.setRole({ userId: await userId("olga@example.com"), role: "member" }))).toBe("FORBIDDEN");
    expect(await code(d.members.remove({ userId: await userId("olga@example.com") }))).toBe("FORBIDDEN");
    // Nor, as a member, create API keys (owners only), though they may read them.
    expect(await code(d.keys.create({ name: "x", scopes: ["jobs:read"] }))).toBe("FORBIDDEN");
  });

  it("someone outside the organisation sees none of it and changes nothing", async () => {
    await (await as(eve)).account.createOrganization({ name: "Eve Labs", kind: "customer" });
    const e = await as(eve);
    expect((await e.members.list()).members.map((m) => m.email)).toEqual(["eve@example.com"]);
    expect(await code(e.members.remove({ userId: await userId("dana@example.com") }))).toBe("NOT_FOUND");
    expect(await code(e.members.setRole({ userId: await userId("dana@example.com"), role: "owner" }))).toBe("NOT_FOUND");
    const olgaInv = await (await as(owner)).members.invite({ email: "zed@example.com" });
    expect(await code(e.members.revokeInvitation({ id: olgaInv.id }))).toBe("NOT_FOUND");
    await (await as(owner)).members.revokeInvitation({ id: olgaInv.id });
    expect((await (await as(null)).members.describeInvitation({ token: olgaInv.token })).usable).toBe(false);
  });

  it("keeps at least one owner: the last owner can neither step down nor leave until another is made owner", async () => {
    const olga = await userId("olga@example.com");
    const danaId = await userId("dana@example.com");
    expect(await code((await as(owner)).members.setRole({ userId: olga, role: "member" }))).toBe("CONFLICT");
    expect(await code((await as(owner)).members.remove({ userId: olga }))).toBe("CONFLICT");
    await (await as(owner)).members.setRole({ userId: danaId, role: "owner" });
    // Dana, now an owner, may create keys.
    expect((await (await as(dana)).keys.create({ name: "ci", scopes: ["jobs:read"] })).key).toMatch(/^pg_/);
    await (await as(owner)).members.remove({ userId: olga }); // Olga leaves
    expect((await (await as(owner)).account.me()).activeOrg).toBeNull();
    expect((await (await as(dana)).members.list()).members.map((m) => [m.email, m.role])).toEqual([["dana@example.com", "owner"]]);
  });

  it("an expired link says so and cannot be used; a new invitation to the address replaces it", async () => {
    const inv = await (await as(dana)).members.invite({ email: "eve@example.com" });
    await db.t.prisma.invitation.update({ where: { id: inv.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(await (await as(null)).members.describeInvitation({ token: inv.token })).toMatchObject({
      usable: false,
      reason: expect.stringMatching(/expired/),
    });
    expect(await code((await as(eve)).members.accept({ token: inv.token }))).toBe("NOT_FOUND");
    const again = await (await as(dana)).members.invite({ email: "eve@example.com", role: "owner" });
    expect((await (await as(eve)).members.accept({ token: again.token })).role).toBe("owner");
  });

  it("two owners inviting the same address at once: one invitation, one CONFLICT (not a 500)", async () => {
    // Callers first, then the three calls at once: every rejection is awaited by allSettled.
    const callers = await Promise.all([as(dana), as(dana), as(dana)]);
    const results = await Promise.allSettled(callers.map((c) => c.members.invite({ email: "twice@example.com" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { code?: string }).code).toBe("CONFLICT");
    expect(await db.t.prisma.invitation.count({ where: { email: "twice@example.com", revokedAt: null } })).toBe(1);
  });

  it("caps the invitations an organisation sends in a day", async () => {
    const org = (await db.t.prisma.membership.findFirstOrThrow({ where: { user: { email: "dana@example.com" } }, select: { orgId: true } }))
      .orgId;
    const sent = await db.t.prisma.invitation.count({ where: { orgId: org } });
    const inviter = await userId("dana@example.com");
    await db.t.prisma.invitation.createMany({
      data: Array.from({ length: MAX_INVITATIONS_PER_DAY - sent }, (_, i) => ({
        orgId: org,
        email: `bulk${i}@example.com`,
        tokenHash: `bulk-${i}-${"0".repeat(40)}`,
        invitedBy: inviter,
        expiresAt: new Date(Date.now() + 3_600_000),
        revokedAt: new Date(),
      })),
    });
    expect(await code((await as(dana)).members.invite({ email: "one-more@example.com" }))).toBe("TOO_MANY_REQUESTS");
    expect(await db.t.prisma.invitation.count({ where: { email: "one-more@example.com" } })).toBe(0);
  });
});
