import { createHash, randomBytes } from "node:crypto";
import { insertRegistrationToken, makeOrgProvider } from "@proofgrid/db/nodes/registration-tokens";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { findRegion, REGIONS } from "@proofgrid/indexer";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { WORKER_NODE_VERSION, workerCommands, workerPackageUrl } from "./worker-commands.ts";

export const ZRegion = z
  .string()
  .refine((r) => r === "local" || findRegion(r) !== undefined, { message: "unknown region: see GET /api/v1/regions for the ids" });

export const ZCreateRegistrationTokenRequest = z.object({
  role: z.enum(["worker", "checker"]).default("worker"),
  /** Where the machine is (GET /api/v1/regions); without it the command has a placeholder to fill. */
  region: ZRegion.optional(),
});

export function hashRegistrationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * A one-time token a provider gives to `proofgrid-worker register`; shown once, with the
 * commands that install the packed worker from this platform and register it.
 */
export async function createRegistrationToken(opts: {
  orgId: string;
  role?: "worker" | "checker";
  platformUrl: string;
  region?: string;
  platformUrlNote?: string;
}) {
  const token = `pgr_${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + getEnv().REGISTRATION_TOKEN_TTL_MS);
  const role = opts.role ?? "worker";
  await sqlTransaction(async (tx) => {
    // Registering a node makes an organisation a provider (and keeps it a customer).
    await makeOrgProvider(tx, { orgId: opts.orgId });
    await insertRegistrationToken(tx, { orgId: opts.orgId, tokenHash: hashRegistrationToken(token), role, expiresAt });
  });
  const commands = workerCommands({ platformUrl: opts.platformUrl, token, region: opts.region ?? null, role });
  const notes = [
    `Needs Node.js ${WORKER_NODE_VERSION} or newer and npm on the machine.`,
    `On an NVIDIA GPU (Linux x64, CUDA 12, cuDNN 9) install with: ${commands.gpuInstall}`,
    ...(opts.region ? [] : ["Replace <region> with the id of the region the machine is in (regions lists them; GET /api/v1/regions)."]),
    ...(opts.platformUrlNote ? [`The platform URL is a guess: ${opts.platformUrlNote}.`] : []),
  ];
  return {
    token,
    expiresAt: expiresAt.toISOString(),
    role,
    platformUrl: opts.platformUrl.replace(/\/$/, ""),
    region: opts.region ?? null,
    packageUrl: workerPackageUrl(opts.platformUrl),
    nodeVersion: `>=${WORKER_NODE_VERSION}`,
    commands,
    /** The three commands in order, for a shell. */
    command: [commands.install, commands.register, commands.start].join(" && "),
    ...(opts.region ? {} : { regions: REGIONS.map((r) => r.id) }),
    notes,
  };
}
