import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getEnv } from "../../env.ts";

export interface PlatformKey {
  /** ed25519 seed (32 bytes), base64url. */
  privateKey: string;
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
}

let cached: PlatformKey | undefined;

/**
 * The key that countersigns receipts. Production sets PLATFORM_SIGNING_KEY on every web
 * replica; a single-machine install keeps one in its data directory (created once, 0600).
 */
export function getPlatformKey(): PlatformKey {
  if (cached) return cached;
  const env = getEnv();
  let seed = env.PLATFORM_SIGNING_KEY;
  if (!seed) {
    const file = join(env.PROOFGRID_DATA_DIR, "platform-signing.key");
    try {
      seed = readFileSync(file, "utf8").trim();
    } catch {
      const fresh = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }).d ?? "";
      mkdirSync(env.PROOFGRID_DATA_DIR, { recursive: true });
      try {
        writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: "wx" });
      } catch {
        // Another process created it first: use theirs.
      }
      seed = readFileSync(file, "utf8").trim();
    }
  }
  cached = { privateKey: seed, publicKey: publicKeyFromSeed(seed) };
  return cached;
}

// PKCS#8 header for an ed25519 private key: the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function publicKeyFromSeed(seed: string): string {
  const raw = Buffer.from(seed, "base64url");
  if (raw.length !== 32) throw new Error("PLATFORM_SIGNING_KEY must be a 32-byte ed25519 seed (base64url)");
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw]), format: "der", type: "pkcs8" });
  return createPublicKey(priv).export({ format: "jwk" }).x ?? "";
}
