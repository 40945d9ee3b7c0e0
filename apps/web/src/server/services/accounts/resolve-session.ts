import { getAuth } from "../../auth/better-auth.ts";
import type { OrgRole } from "../../auth/caller.ts";
import { db } from "../../db.ts";

/** A user belongs to a handful of organisations; the bound keeps the per-request query small. */
export const MAX_MEMBERSHIPS = 50;

export interface OrgMembership {
  orgId: string;
  name: string;
  slug: string;
  kind: "customer" | "provider" | "both";
  role: OrgRole;
}

export interface SessionUser {
  sessionId: string;
  user: { id: string; email: string; name: string; isAdmin: boolean };
  memberships: OrgMembership[];
  /** The organisation the dashboard shows: the session's choice if the user is still a
   * member of it, else their oldest membership; null before onboarding. */
  activeOrg: OrgMembership | null;
}

/**
 * Reads the session cookie (better-auth) and the user's memberships, fresh on every
 * request: a removed membership stops working at once, whatever the session says.
 */
export async function resolveSession(opts: { headers: Headers }): Promise<SessionUser | null> {
  if (!opts.headers.get("cookie")) return null;
  const found = await getAuth().api.getSession({ headers: opts.headers });
  if (!found) return null;
  const [user, rows] = await Promise.all([
    db().user.findUnique({ where: { id: found.user.id }, select: { id: true, email: true, name: true, isAdmin: true } }),
    db().membership.findMany({
      where: { userId: found.user.id },
      select: { role: true, org: { select: { id: true, name: true, slug: true, kind: true } } },
      orderBy: { createdAt: "asc" },
      take: MAX_MEMBERSHIPS,
    }),
  ]);
  if (!user) return null;
  const memberships = rows.map((m) => ({ orgId: m.org.id, name: m.org.name, slug: m.org.slug, kind: m.org.kind, role: m.role }));
  const wanted = found.session.activeOrgId;
  const activeOrg = memberships.find((m) => m.orgId === wanted) ?? memberships[0] ?? null;
  return { sessionId: found.session.id, user, memberships, activeOrg };
}
