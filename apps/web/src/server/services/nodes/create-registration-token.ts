import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";

export const ZCreateRegistrationTokenRequest = z.object({
  role: z.enum(["worker", "checker"]).default("worker"),
});

export function hashRegistrationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A one-time token a provider gives to `proofgrid-worker register`; shown once. */
export async function createRegistrationToken(opts: { orgId: string; role?: "worker" | "checker"; platformUrl: string }) {
  const token = `pgr_${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + getEnv().REGISTRATION_TOKEN_TTL_MS);
  await db().$transaction(async (tx) => {
    // Registering a node makes an organisation a provider (and keeps it a customer).
    await tx.organization.updateMany({ where: { id: opts.orgId, kind: "customer" }, data: { kind: "both" } });
    await tx.registrationToken.create({
      data: { orgId: opts.orgId, tokenHash: hashRegistrationToken(token), role: opts.role ?? "worker", expiresAt },
    });
  });
  return {
    token,
    expiresAt: expiresAt.toISOString(),
    command: `npx proofgrid-worker register --url ${opts.platformUrl} --token ${token} && npx proofgrid-worker start`,
  };
}
