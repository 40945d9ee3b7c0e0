import { generateNodeKeyPair, sign } from "@proofgrid/por";
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { createRegistrationToken, hashRegistrationToken } from "./create-registration-token.ts";
import { REGISTRATION_PROOF_PREFIX, registerNode, ZRegisterNodeRequest } from "./register-node.ts";

// A provider's worker joins the network: the organisation issues a one-time token (which
// makes a customer organisation a provider too), and the worker spends it, proving it holds
// its key, to create its node. The token works once, before it expires, and a checker needs
// an unused licence; a refused registration writes nothing.

const PLATFORM_URL = "http://127.0.0.1:3999";
const MODEL_ID = "ab".repeat(32);
let orgId: string;

const db = setupServiceDatabase({ name: "register-node" });

beforeAll(async () => {
  await db.t.prisma.model.create({
    data: {
      id: MODEL_ID,
      slug: "encoder-test",
      name: "encoder",
      kind: "embedding",
      description: "test",
      signature: {},
      baseCostMilliCu: 10,
    },
  });
  orgId = await createOrg("gpu-startup", "customer");
});

/** A registration request (for a fresh key unless one is given), signed as `proofgrid-worker register` signs it. */
function request(token: string, extra: Record<string, unknown> = {}, keys = generateNodeKeyPair()) {
  return ZRegisterNodeRequest.parse({
    token,
    publicKey: keys.publicKey,
    proof: sign(keys.privateKey, `${REGISTRATION_PROOF_PREFIX}${token}`),
    name: "gpu-1",
    region: "local",
    models: [MODEL_ID],
    claimedCuPerHour: 3600,
    ...extra,
  });
}

async function tokenRow(token: string) {
  return db.t.prisma.registrationToken.findUniqueOrThrow({ where: { tokenHash: hashRegistrationToken(token) } });
}

describe("node registration", () => {
  it("a token makes a customer organisation a provider too, and is stored as its hash with its expiry", async () => {
    const issued = await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL, role: "worker" });
    expect((await db.t.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).kind).toBe("both");
    const row = await tokenRow(issued.token);
    expect(row).toMatchObject({ orgId, role: "worker", usedAt: null, nodeId: null });
    // Stored as UTC, as Prisma reads it: the instant the caller was shown.
    expect(row.expiresAt.toISOString()).toBe(issued.expiresAt);
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect(JSON.stringify(row)).not.toContain(issued.token);
  });

  it("creates the node online with what it claims, spends the token, opens its accounts, and works once", async () => {
    const { token } = await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL });
    const req = request(token, { name: "rig", askPricePerCu: 5, latitude: 52.5, longitude: 13.4, maxConcurrency: 2, version: "1.2.3" });
    const before = Date.now();
    const reply = await registerNode(req);
    expect(reply).toEqual({ nodeId: expect.any(String), orgId, role: "worker" });

    const node = await db.t.prisma.node.findUniqueOrThrow({ where: { id: reply.nodeId } });
    expect(node).toMatchObject({
      orgId,
      name: "rig",
      role: "worker",
      publicKey: req.publicKey,
      region: "local",
      latitude: 52.5,
      longitude: 13.4,
      models: [MODEL_ID],
      claimedCuPerHour: 3600,
      cuPerHour: 3600,
      askPricePerCu: 5n,
      maxConcurrency: 2,
      version: "1.2.3",
      status: "online",
      admission: "pending",
      loadedModels: [],
    });
    // Written as UTC (Prisma reads the column as UTC): within the call, not hours off.
    expect(node.lastSeenAt?.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(node.lastSeenAt?.getTime()).toBeLessThanOrEqual(Date.now());

    const spent = await tokenRow(token);
    expect(spent.nodeId).toBe(reply.nodeId);
    expect(spent.usedAt?.getTime()).toBe(node.lastSeenAt?.getTime());

    const accounts = await db.t.prisma.ledgerAccount.findMany({
      where: { OR: [{ code: { startsWith: `node:${reply.nodeId}:` } }, { code: { startsWith: `org:${orgId}:` } }] },
      select: { code: true },
    });
    expect(accounts.map((a) => a.code).sort()).toEqual(
      [
        `node:${reply.nodeId}:held`,
        `node:${reply.nodeId}:stake`,
        `node:${reply.nodeId}:unbonding`,
        `org:${orgId}:available`,
        `org:${orgId}:debt`,
        `org:${orgId}:earnings`,
        `org:${orgId}:held`,
      ].sort(),
    );

    await expect(registerNode(request(token))).rejects.toMatchObject({ code: "UNAUTHORIZED", message: "registration token already used" });
  });

  it("registers a key once: the same key with another token is a conflict, and that token stays unspent", async () => {
    const keys = generateNodeKeyPair();
    const first = await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL });
    await registerNode(request(first.token, {}, keys));
    const second = await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL });
    await expect(registerNode(request(second.token, {}, keys))).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await tokenRow(second.token)).usedAt).toBeNull();
    expect(await db.t.prisma.node.count({ where: { publicKey: keys.publicKey } })).toBe(1);
  });

  it("refuses an unknown or expired token", async () => {
    await expect(registerNode(request(`pgr_${"A".repeat(43)}`))).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: "unknown registration token",
    });
    const { token } = await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL });
    await db.t.prisma.registrationToken.update({
      where: { tokenHash: hashRegistrationToken(token) },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    await expect(registerNode(request(token))).rejects.toMatchObject({ code: "UNAUTHORIZED", message: "registration token expired" });
    expect((await tokenRow(token)).usedAt).toBeNull();
  });

  it("a checker needs an unused licence: without one nothing is written; with one the licence is bound to it", async () => {
    const { token } = await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL, role: "checker" });
    const refused = request(token);
    await expect(registerNode(refused)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await db.t.prisma.node.count({ where: { publicKey: refused.publicKey } })).toBe(0);
    expect((await tokenRow(token)).usedAt).toBeNull();

    const licenceId = (await db.t.prisma.checkerLicence.create({ data: { orgId }, select: { id: true } })).id;
    const reply = await registerNode(request(token));
    expect(reply).toMatchObject({ orgId, role: "checker" });
    expect((await db.t.prisma.checkerLicence.findUniqueOrThrow({ where: { id: licenceId } })).nodeId).toBe(reply.nodeId);
  });

  it("records whether the node accepts uploaded models, and never takes an uploaded model's id as one it runs", async () => {
    const UPLOADED = "cd".repeat(32);
    await db.t.prisma.model.create({
      data: {
        id: UPLOADED,
        slug: `custom-${UPLOADED.slice(0, 12)}`,
        name: "uploaded",
        kind: "tensor",
        description: "",
        signature: {},
        baseCostMilliCu: 1,
        builtIn: false,
      },
    });
    const plain = await registerNode(request((await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL })).token));
    const opted = await registerNode(
      request((await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL })).token, {
        models: [MODEL_ID, UPLOADED],
        acceptsCustomModels: true,
      }),
    );
    const row = (id: string) => db.t.prisma.node.findUniqueOrThrow({ where: { id }, select: { models: true, acceptsCustomModels: true } });
    expect(await row(plain.nodeId)).toEqual({ models: [MODEL_ID], acceptsCustomModels: false });
    // It runs uploaded models because it opted in, not because it named one.
    expect(await row(opted.nodeId)).toEqual({ models: [MODEL_ID], acceptsCustomModels: true });
    // Naming only uploaded models is naming none of the catalog's.
    const only = request((await createRegistrationToken({ orgId, platformUrl: PLATFORM_URL })).token, { models: [UPLOADED] });
    await expect(registerNode(only)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
