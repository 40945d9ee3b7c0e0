import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";

/** Switches the dashboard to another organisation of the user's; refuses one they do not belong to. */
export async function setActiveOrganization(opts: { userId: string; sessionId: string; orgId: string }): Promise<void> {
  const member = await db().membership.findUnique({
    where: { userId_orgId: { userId: opts.userId, orgId: opts.orgId } },
    select: { role: true },
  });
  // NOT_FOUND, not FORBIDDEN: whether an organisation exists is not the caller's business.
  if (!member) throw new AppError("NOT_FOUND", "organisation not found");
  await db().authSession.update({ where: { id: opts.sessionId }, data: { activeOrgId: opts.orgId } });
}
