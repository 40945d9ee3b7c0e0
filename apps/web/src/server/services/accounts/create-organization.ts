import { randomBytes } from "node:crypto";
import { setSessionActiveOrg } from "@proofgrid/db/accounts/auth-session-orgs";
import { insertMembership } from "@proofgrid/db/accounts/member-rows";
import { insertOrganization } from "@proofgrid/db/accounts/organizations";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { MAX_MEMBERSHIPS } from "./resolve-session.ts";
import { pgText } from "../../http/safe-text.ts";

export const ZCreateOrganizationRequest = z.object({
  name: pgText("Use letters, digits and punctuation: the name holds a character that cannot be stored")
    .trim()
    .min(2, "Give the organisation a name of at least 2 characters")
    .max(80, "Keep the name under 80 characters"),
  kind: z.enum(["customer", "provider", "both"]),
});
export type TCreateOrganizationRequest = z.infer<typeof ZCreateOrganizationRequest>;

function slugFor(name: string): string {
  const base = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  // A random suffix: slugs are unique across the platform and names are not.
  return `${base || "org"}-${randomBytes(3).toString("hex")}`;
}

/** Creates an organisation with its ledger accounts; the user becomes its owner and it becomes the session's active one. */
export async function createOrganization(opts: { userId: string; sessionId: string } & TCreateOrganizationRequest) {
  const count = await db().membership.count({ where: { userId: opts.userId } });
  if (count >= MAX_MEMBERSHIPS) throw new AppError("CONFLICT", `a user may belong to at most ${MAX_MEMBERSHIPS} organisations`);
  const org = await sqlTransaction(async (tx) => {
    const created = await insertOrganization(tx, { name: opts.name, slug: slugFor(opts.name), kind: opts.kind });
    await insertMembership(tx, { userId: opts.userId, orgId: created.id, role: "owner" });
    await ensureOrgAccounts(tx, created.id);
    // The session is the caller's own: a missing one fails the whole creation, as Prisma's update did.
    if ((await setSessionActiveOrg(tx, { sessionId: opts.sessionId, orgId: created.id })) === 0) {
      throw new Error(`createOrganization: no session ${opts.sessionId}`);
    }
    return created;
  });
  return { orgId: org.id, name: org.name, slug: org.slug, kind: org.kind, role: "owner" as const };
}
