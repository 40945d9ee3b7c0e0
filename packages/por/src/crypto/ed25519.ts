import {
  type KeyObject,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";

// Node and platform keys are ed25519, carried as base64url of their raw bytes: the public key
// is the 32-byte point (what `nodes.public_key` stores), the private key the 32-byte seed (what
// a node keeps in its data directory). Raw seeds keep the key file and the registration body
// one short string each and need no PEM parsing.
//
// No key cache: on this machine importing a public key costs ~22 µs against ~180 µs for the
// verification itself (Node 20, 10 000 iterations), so a cache would save ~11% at the price of
// an unbounded or evicting map.

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** Both halves as base64url of raw bytes. */
export interface NodeKeyPair {
  /** 32-byte public key, base64url (43 characters). */
  publicKey: string;
  /** 32-byte private seed, base64url (43 characters). Secret: keep it in the node's data directory. */
  privateKey: string;
}

// PKCS#8 wrapping of a raw ed25519 seed (RFC 8410): importing the seed this way needs no
// public half, unlike a JWK import, which requires `x` (and silently ignores a wrong one).
const PKCS8_SEED_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function generateNodeKeyPair(): NodeKeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  if (typeof jwk.d !== "string" || typeof jwk.x !== "string") throw new Error("ed25519: key export returned no raw key");
  return { publicKey: jwk.x, privateKey: jwk.d };
}

/** The public key that belongs to a private seed. Throws on a malformed seed. */
export function publicKeyFromPrivateKey(privateKey: string): string {
  const x = createPublicKey(privateKeyObject(privateKey)).export({ format: "jwk" }).x;
  if (typeof x !== "string") throw new Error("ed25519: public key export returned no raw key");
  return x;
}

/** Signs `message` (a string is signed as its UTF-8 bytes); returns the 64-byte signature as
 * base64url. Throws on a malformed private key: signing with a bad key is a programming or
 * configuration error, not input to tolerate. */
export function sign(privateKey: string, message: Uint8Array | string): string {
  const signature = nodeSign(null, messageBytes(message), privateKeyObject(privateKey));
  return encodeBase64url(signature);
}

/** True only for a valid signature of `message` by `publicKey`. Never throws: malformed keys,
 * signatures or messages (wrong type, wrong length, non-canonical base64url) give false. */
export function verify(publicKey: unknown, message: unknown, signature: unknown): boolean {
  if (typeof message !== "string" && !(message instanceof Uint8Array)) return false;
  const rawKey = decodeBase64url(publicKey, ED25519_PUBLIC_KEY_BYTES);
  const rawSignature = decodeBase64url(signature, ED25519_SIGNATURE_BYTES);
  if (rawKey === null || rawSignature === null) return false;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey as string }, format: "jwk" });
    return nodeVerify(null, messageBytes(message), key, rawSignature);
  } catch {
    return false;
  }
}

/** True when `value` is a well-formed public key string (it may still not be a curve point
 * the verifier accepts; `verify` handles that). */
export function isPublicKey(value: unknown): value is string {
  return decodeBase64url(value, ED25519_PUBLIC_KEY_BYTES) !== null;
}

// Private keys are cached: importing a seed derives its public point (a scalar
// multiplication), ~11x the cost of the signature itself on this machine (`npm run bench`,
// part `ed25519`), and a process signs with one or two keys (its own, the platform's) on every
// node request, receipt and countersignature. The cache is tiny and bounded: a process that
// signs with more keys (a test creating many nodes) only evicts.
const PRIVATE_KEY_CACHE_MAX = 8;
const privateKeys = new Map<string, KeyObject>();

function privateKeyObject(privateKey: string): KeyObject {
  const hit = privateKeys.get(privateKey);
  if (hit) return hit;
  const seed = decodeBase64url(privateKey, ED25519_SEED_BYTES);
  if (seed === null) throw new TypeError(`ed25519: private key must be ${ED25519_SEED_BYTES} bytes of canonical base64url`);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: "der", type: "pkcs8" });
  if (privateKeys.size >= PRIVATE_KEY_CACHE_MAX) privateKeys.delete(privateKeys.keys().next().value as string);
  privateKeys.set(privateKey, key);
  return key;
}

/** Signs as `sign` does, importing the key every time (the cache's baseline in `npm run bench`). */
export function signUncached(privateKey: string, message: Uint8Array | string): string {
  const seed = decodeBase64url(privateKey, ED25519_SEED_BYTES);
  if (seed === null) throw new TypeError(`ed25519: private key must be ${ED25519_SEED_BYTES} bytes of canonical base64url`);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: "der", type: "pkcs8" });
  return encodeBase64url(nodeSign(null, messageBytes(message), key));
}

function messageBytes(message: Uint8Array | string): Uint8Array {
  return typeof message === "string" ? Buffer.from(message, "utf8") : message;
}
