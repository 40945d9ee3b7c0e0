import { createHash, randomBytes } from "node:crypto";
import { setSessionActiveOrg } from "@proofgrid/db/accounts/auth-session-orgs";
import {
  claimInvitation,
  countInvitationsSince,
  countOpenInvitations,
  hasOpenInvitation,
  insertInvitation,
  loadInvitationSender,
  revokeExpiredInvitations,
} from "@proofgrid/db/accounts/invitation-rows";
import {
  countUserMemberships,
  deleteMembership,
  findMemberRole,
  insertMembership,
  isMemberByEmail,
  updateMemberRole,
} from "@proofgrid/db/accounts/member-rows";
import { lockOrgOwners } from "@proofgrid/db/accounts/memberships";
import { isUniqueViolation } from "@proofgrid/db/db-errors";
import type { Db } from "@proofgrid/db/db-types";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { z } from "zod";
import type { OrgRole } from "../../auth/caller.ts";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { enqueueEmail } from "../mail/outbox.ts";
import { MAX_MEMBERSHIPS } from "./resolve-session.ts";

// Members of an organisation and invitations to join it. Owners invite, change roles and
// remove; anyone may leave; an organisation always keeps at least one owner. The link is
// emailed (the outbox) and shown once to the owner, who may also pass it on themselves.

/** Invitations an organisation may have open at once. */
export const MAX_OPEN_INVITATIONS = 100;
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
/** Invitations (and so emails) an organisation may send in 24 hours: anyone can create an
 * organisation, and invitations must not become a way to mail strangers. */
export const MAX_INVITATIONS_PER_DAY = 50;
const TOKEN_PREFIX = "pgi_";

export const ZInviteRequest = z.object({
  email: z
    .email("Enter the email address the person signs in with")
    .max(254)
    .transform((e) => e.toLowerCase()),
  role: z.enum(["owner", "member"]).default("member"),
});
export type TInviteRequest = z.input<typeof ZInviteRequest>;

export interface Actor {
  orgId: string;
  userId: string;
  role: OrgRole;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function requireOwner(actor: Actor, what: string): void {
  if (actor.role !== "owner") throw new AppError("FORBIDDEN", `only the organisation's owners may ${what}`);
}

export async function listMembers(orgId: string) {
  const [members, invitations] = await Promise.all([
    db().membership.findMany({
      where: { orgId },
      select: { role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
      orderBy: { createdAt: "asc" },
      take: 1_000,
    }),
    db().invitation.findMany({
      where: { orgId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      select: { id: true, email: true, role: true, createdAt: true, expiresAt: true },
      orderBy: { createdAt: "asc" },
      take: MAX_OPEN_INVITATIONS,
    }),
  ]);
  return {
    members: members.map((m) => ({
      userId: m.user.id,
      name: m.user.name,
      email: m.user.email,
      role: m.role,
      joinedAt: m.createdAt.toISOString(),
    })),
    invitations: invitations.map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
    })),
  };
}

/**
 * An owner invites an email address with a role. Returns the link's token once; only its
 * hash is kept. An expired invitation to the same address is revoked first; an open one
 * is a conflict (revoke it to send a new link).
 */
export async function inviteMember(actor: Actor, request: TInviteRequest, mail?: { origin: string | null }) {
  requireOwner(actor, "invite people");
  const input = ZInviteRequest.parse(request);
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString("base64url")}`;
  const now = new Date();
  return sqlTransaction(async (tx) => {
    const sentToday = await countInvitationsSince(tx, { orgId: actor.orgId, since: new Date(now.getTime() - 86_400_000) });
    if (sentToday >= MAX_INVITATIONS_PER_DAY) {
      throw new AppError(
        "RATE_LIMITED",
        `this organisation sent ${MAX_INVITATIONS_PER_DAY} invitations in the last 24 hours, the most allowed: try again tomorrow`,
      );
    }
    if (await isMemberByEmail(tx, { orgId: actor.orgId, email: input.email })) {
      throw new AppError("CONFLICT", `${input.email} is already a member of this organisation`);
    }
    await revokeExpiredInvitations(tx, { orgId: actor.orgId, email: input.email, now });
    const open = await countOpenInvitations(tx, { orgId: actor.orgId });
    if (open >= MAX_OPEN_INVITATIONS) {
      throw new AppError(
        "RATE_LIMITED",
        `this organisation has ${MAX_OPEN_INVITATIONS} open invitations, the most allowed: revoke some first`,
      );
    }
    if (await hasOpenInvitation(tx, { orgId: actor.orgId, email: input.email })) {
      throw new AppError("CONFLICT", `${input.email} already has an open invitation: revoke it to send a new link`);
    }
    const created = await insertInvitation(tx, {
      orgId: actor.orgId,
      email: input.email,
      role: input.role,
      tokenHash: hashToken(token),
      invitedBy: actor.userId,
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
    });
    const path = `/invite/${token}`;
    // Absolute when the site's address is known (publicOrigin), for the email and the owner alike.
    const url = mail?.origin ? `${mail.origin}${path}` : path;
    // The email goes out with the invitation or not at all (the outbox is in this transaction).
    if (mail?.origin) {
      const sender = await loadInvitationSender(tx, { orgId: actor.orgId, userId: actor.userId });
      if (!sender) throw new Error(`inviteMember: no organisation ${actor.orgId} or user ${actor.userId}`);
      await enqueueEmail(
        {
          to: created.email,
          kind: "invitation",
          subject: `${sender.inviterName} invited you to ${sender.orgName} on Proofgrid`,
          text: `${sender.inviterName} (${sender.inviterEmail}) invited you to join ${sender.orgName} on Proofgrid as ${created.role === "owner" ? "an owner" : "a member"}.\n\nSign up or sign in with this address (${created.email}), then open this link before ${created.expiresAt.toUTCString()}:\n${url}`,
        },
        tx,
      );
    }
    return {
      id: created.id,
      email: created.email,
      role: created.role,
      expiresAt: created.expiresAt.toISOString(),
      token,
      path,
      url,
      emailed: Boolean(mail?.origin),
    };
  }).catch((err: unknown) => {
    // Two owners inviting the same address at once: the partial unique index decides.
    if (isUniqueViolation(err)) {
      throw new AppError("CONFLICT", `${input.email} already has an open invitation: revoke it to send a new link`);
    }
    throw err;
  });
}

export async function revokeInvitation(actor: Actor, invitationId: string) {
  requireOwner(actor, "revoke invitations");
  const res = await db().invitation.updateMany({
    where: { id: invitationId, orgId: actor.orgId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (res.count === 0) throw new AppError("NOT_FOUND", "no open invitation with that id in this organisation");
  return { revoked: true };
}

/** What an invitation link shows before it is accepted (the organisation and the role), or why it cannot be used. */
export async function describeInvitation(token: string) {
  const inv = await findByToken(token);
  if (!inv) return { usable: false as const, reason: "This invitation link is not valid. Ask the organisation's owner for a new one." };
  if (inv.acceptedAt) return { usable: false as const, reason: "This invitation was already used." };
  if (inv.revokedAt)
    return { usable: false as const, reason: "This invitation was withdrawn. Ask the organisation's owner for a new one." };
  if (inv.expiresAt <= new Date())
    return { usable: false as const, reason: "This invitation has expired. Ask the organisation's owner for a new one." };
  return { usable: true as const, orgName: inv.org.name, role: inv.role, email: inv.email };
}

async function findByToken(token: string) {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
  return db().invitation.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      orgId: true,
      email: true,
      role: true,
      expiresAt: true,
      acceptedAt: true,
      revokedAt: true,
      org: { select: { name: true } },
    },
  });
}

/**
 * The signed-in user accepts: the link must be open and addressed to their email. They
 * join with the invited role and the organisation becomes their active one. Once only:
 * the update that marks it accepted is conditional, so two tabs cannot both join.
 */
export async function acceptInvitation(opts: { token: string; userId: string; email: string; sessionId: string }) {
  const inv = await findByToken(opts.token);
  const state = await describeInvitation(opts.token);
  if (!inv || !state.usable) throw new AppError("NOT_FOUND", state.usable ? "invitation not found" : state.reason);
  if (inv.email !== opts.email.toLowerCase()) {
    throw new AppError("FORBIDDEN", `this invitation is for ${inv.email}; sign in with that address to accept it`);
  }
  return sqlTransaction(async (tx) => {
    const claimed = await claimInvitation(tx, { invitationId: inv.id, now: new Date() });
    if (claimed === 0) throw new AppError("CONFLICT", "this invitation was used or withdrawn a moment ago");
    if (await findMemberRole(tx, { userId: opts.userId, orgId: inv.orgId })) {
      throw new AppError("CONFLICT", "you are already a member of this organisation");
    }
    const count = await countUserMemberships(tx, { userId: opts.userId });
    if (count >= MAX_MEMBERSHIPS) throw new AppError("CONFLICT", `a user may belong to at most ${MAX_MEMBERSHIPS} organisations`);
    await insertMembership(tx, { userId: opts.userId, orgId: inv.orgId, role: inv.role });
    // The session is the caller's own: a missing one fails the acceptance, as Prisma's update did.
    if ((await setSessionActiveOrg(tx, { sessionId: opts.sessionId, orgId: inv.orgId })) === 0) {
      throw new Error(`acceptInvitation: no session ${opts.sessionId}`);
    }
    return { orgId: inv.orgId, orgName: inv.org.name, role: inv.role };
  });
}

/** Owners left if `userId` stopped being one (locked, so two owners demoting each other cannot leave none). */
async function ownersAfter(tx: Db, orgId: string, userId: string): Promise<number> {
  const rows = await lockOrgOwners(tx, { orgId });
  return rows.filter((r) => r.user_id !== userId).length;
}

export async function setMemberRole(actor: Actor, opts: { userId: string; role: OrgRole }) {
  requireOwner(actor, "change roles");
  return sqlTransaction(async (tx) => {
    const role = await findMemberRole(tx, { userId: opts.userId, orgId: actor.orgId });
    if (!role) throw new AppError("NOT_FOUND", "no member with that id in this organisation");
    if (role === "owner" && opts.role !== "owner" && (await ownersAfter(tx, actor.orgId, opts.userId)) === 0) {
      throw new AppError("CONFLICT", "an organisation needs at least one owner: make someone else an owner first");
    }
    await updateMemberRole(tx, { userId: opts.userId, orgId: actor.orgId, role: opts.role });
    return { userId: opts.userId, role: opts.role };
  });
}

/** An owner removes a member, or a member removes themself (leaves). */
export async function removeMember(actor: Actor, userId: string) {
  if (userId !== actor.userId) requireOwner(actor, "remove other members");
  return sqlTransaction(async (tx) => {
    const role = await findMemberRole(tx, { userId, orgId: actor.orgId });
    if (!role) throw new AppError("NOT_FOUND", "no member with that id in this organisation");
    if (role === "owner" && (await ownersAfter(tx, actor.orgId, userId)) === 0) {
      throw new AppError("CONFLICT", "an organisation needs at least one owner: make someone else an owner first");
    }
    await deleteMembership(tx, { userId, orgId: actor.orgId });
    return { removed: true };
  });
}
