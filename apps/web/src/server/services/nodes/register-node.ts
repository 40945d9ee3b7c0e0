import { type RegisterNodeReply, verify, ZRegisterNodeRequest as ZNodeRegistration } from "@proofgrid/por";
import { findRegion } from "@proofgrid/indexer";
import type { z } from "zod";
import { bindCheckerLicence, lockRegistrationToken } from "@proofgrid/db/nodes/node-registration";
import { findNodeIdByPublicKey, insertRegisteredNode } from "@proofgrid/db/nodes/registered-nodes";
import { spendRegistrationToken } from "@proofgrid/db/nodes/registration-tokens";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { hashRegistrationToken } from "./create-registration-token.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { ensureNodeAccounts } from "../verification/stake.ts";

export const REGISTRATION_PROOF_PREFIX = "proofgrid-register-v1:";

/** The protocol's registration request, its region also checked against the region catalogue. */
export const ZRegisterNodeRequest = ZNodeRegistration.extend({
  region: ZNodeRegistration.shape.region.refine((r) => r === "local" || findRegion(r) !== undefined, {
    message: "unknown region: see GET /api/v1/regions for the ids, or use local",
  }),
});
export type TRegisterNodeRequest = z.infer<typeof ZRegisterNodeRequest>;

/** Spends a one-time token (row-locked, so two nodes cannot both use it) and creates the node. */
export async function registerNode(request: TRegisterNodeRequest): Promise<RegisterNodeReply> {
  if (!verify(request.publicKey, `${REGISTRATION_PROOF_PREFIX}${request.token}`, request.proof)) {
    throw new AppError("UNAUTHORIZED", "registration proof does not match the public key");
  }
  const known = await db().model.findMany({ where: { id: { in: request.models } }, select: { id: true, builtIn: true } });
  if (!known.some((m) => m.builtIn)) throw new AppError("BAD_REQUEST", "none of the node's models is in the catalog");
  // A customer's uploaded model (issue 17) is run only by a node that opted in
  // (acceptsCustomModels), never by one that names its id among its models.
  const uploaded = new Set(known.filter((m) => !m.builtIn).map((m) => m.id));
  const models = request.models.filter((id) => !uploaded.has(id));

  const node = await sqlTransaction(async (tx) => {
    const token = await lockRegistrationToken(tx, { tokenHash: hashRegistrationToken(request.token) });
    if (!token) throw new AppError("UNAUTHORIZED", "unknown registration token");
    if (token.used_at) throw new AppError("UNAUTHORIZED", "registration token already used");
    if (token.expires_at.getTime() < Date.now()) throw new AppError("UNAUTHORIZED", "registration token expired");
    if (await findNodeIdByPublicKey(tx, { publicKey: request.publicKey })) {
      throw new AppError("CONFLICT", "a node with this key is already registered");
    }
    const now = new Date();
    const created = await insertRegisteredNode(tx, {
      orgId: token.org_id,
      name: request.name,
      role: token.role,
      publicKey: request.publicKey,
      region: request.region,
      latitude: request.latitude ?? null,
      longitude: request.longitude ?? null,
      models,
      claimedCuPerHour: request.claimedCuPerHour,
      askPerCuBaseUnits: request.askPricePerCu === undefined ? null : BigInt(request.askPricePerCu),
      // Accepted as claimed until a checker's registration challenge measures it.
      cuPerHour: request.claimedCuPerHour,
      maxConcurrency: request.maxConcurrency,
      version: request.version ?? null,
      lastSeenAt: now,
      acceptsCustomModels: request.acceptsCustomModels ?? false,
    });
    await spendRegistrationToken(tx, { tokenId: token.id, nodeId: created.id, usedAt: now });
    if (created.role === "checker") {
      // A checker needs one of its provider's unused licences (an admin grants a limited number).
      const bound = await bindCheckerLicence(tx, { nodeId: created.id, orgId: token.org_id });
      if (Number(bound) === 0) throw new AppError("FORBIDDEN", "this provider has no unused checker licence: ask an admin to grant one");
    }
    await ensureOrgAccounts(tx, token.org_id);
    await ensureNodeAccounts(tx, { id: created.id, orgId: token.org_id });
    return created;
  });
  logger.info({ nodeId: node.id, orgId: node.orgId, region: node.region }, "node registered");
  return { nodeId: node.id, orgId: node.orgId, role: node.role };
}
