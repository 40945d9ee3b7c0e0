import { createHmac } from "node:crypto";

// A challenge seed names one challenge: HMAC-SHA256(platform secret, node, epoch, sequence).
// Derived rather than random, so the platform stores nothing to reproduce a challenge and
// an auditor with the secret can recompute it; keyed, so a worker cannot precompute the
// challenges it will be given. The seed is revealed to the checker that runs the challenge
// (and to the worker with the challenge itself), never before.

/** A platform secret shorter than this could be brute-forced from revealed seeds. */
export const MIN_CHALLENGE_SECRET_BYTES = 32;
const SEED_PATTERN = /^[0-9a-f]{64}$/;

export interface ChallengeSeedOptions {
  /** The platform's challenge secret (≥ 32 bytes). */
  secret: string | Uint8Array;
  /** The node being challenged. */
  nodeId: string;
  /** Epoch number (15-minute periods in design.md). */
  epoch: number;
  /** Index of the challenge within the epoch for this node. */
  sequence: number;
}

/** 64 hex digits naming one challenge. */
export function generateChallengeSeed(options: ChallengeSeedOptions): string {
  const { secret, nodeId, epoch, sequence } = options;
  const secretBytes = typeof secret === "string" ? Buffer.byteLength(secret, "utf8") : secret.byteLength;
  if (secretBytes < MIN_CHALLENGE_SECRET_BYTES)
    throw new RangeError(`challenge secret must be at least ${MIN_CHALLENGE_SECRET_BYTES} bytes`);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(nodeId)) throw new RangeError("nodeId must be 1..128 characters of [A-Za-z0-9._:-]");
  if (!(Number.isSafeInteger(epoch) && epoch >= 0)) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
  if (!(Number.isSafeInteger(sequence) && sequence >= 0)) throw new RangeError(`sequence must be a non-negative integer, got ${sequence}`);
  return createHmac("sha256", secret).update(`proofgrid-challenge-v1\n${nodeId}\n${epoch}\n${sequence}`).digest("hex");
}

export function isChallengeSeed(value: unknown): value is string {
  return typeof value === "string" && SEED_PATTERN.test(value);
}
