import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { generateNodeKeyPair, isPublicKey, publicKeyFromPrivateKey, sign, signUncached, verify } from "./ed25519.ts";

const hexToB64 = (hex: string) => encodeBase64url(Buffer.from(hex, "hex"));

// RFC 8032 §7.1, TEST 1 and TEST 2.
const RFC_SEED_1 = hexToB64("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const RFC_PUBLIC_1 = hexToB64("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const RFC_SIGNATURE_1 = hexToB64(
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
);
const RFC_SEED_2 = hexToB64("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const RFC_PUBLIC_2 = hexToB64("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
const RFC_SIGNATURE_2 = hexToB64(
  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
);

describe("ed25519", () => {
  it("reproduces the RFC 8032 test vectors", () => {
    expect(publicKeyFromPrivateKey(RFC_SEED_1)).toBe(RFC_PUBLIC_1);
    expect(sign(RFC_SEED_1, new Uint8Array())).toBe(RFC_SIGNATURE_1);
    expect(verify(RFC_PUBLIC_1, "", RFC_SIGNATURE_1)).toBe(true);
    expect(sign(RFC_SEED_2, new Uint8Array([0x72]))).toBe(RFC_SIGNATURE_2);
    expect(verify(RFC_PUBLIC_2, "r", RFC_SIGNATURE_2)).toBe(true);
  });

  it("generates 32-byte keys as 43-character base64url that sign and verify", () => {
    const pair = generateNodeKeyPair();
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pair.privateKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicKeyFromPrivateKey(pair.privateKey)).toBe(pair.publicKey);
    expect(isPublicKey(pair.publicKey)).toBe(true);
    const signature = sign(pair.privateKey, "hello");
    expect(decodeBase64url(signature)?.length).toBe(64);
    expect(verify(pair.publicKey, "hello", signature)).toBe(true);
    expect(verify(pair.publicKey, new TextEncoder().encode("hello"), signature)).toBe(true);
    expect(verify(pair.publicKey, "hellO", signature)).toBe(false);
    expect(verify(generateNodeKeyPair().publicKey, "hello", signature)).toBe(false);
  });

  it("returns false, never throws, on malformed input", () => {
    const signature = sign(RFC_SEED_1, "m");
    const bad: unknown[] = [
      undefined,
      null,
      42,
      "",
      "!!!",
      `${RFC_PUBLIC_1}=`,
      `${RFC_PUBLIC_1}A`,
      RFC_PUBLIC_1.slice(1),
      {},
      [RFC_PUBLIC_1],
    ];
    for (const value of bad) {
      expect(verify(value, "m", signature)).toBe(false);
      expect(verify(RFC_PUBLIC_1, "m", value)).toBe(false);
    }
    expect(verify(RFC_PUBLIC_1, 42, signature)).toBe(false);
    expect(verify(RFC_PUBLIC_1, { length: 1 }, signature)).toBe(false);
    // All-zero bytes and a non-point are well-formed strings; the verifier must still refuse.
    expect(verify(encodeBase64url(new Uint8Array(32)), "m", signature)).toBe(false);
    expect(verify(encodeBase64url(new Uint8Array(32).fill(0xff)), "m", signature)).toBe(false);
  });

  it("refuses a second spelling of the same signature bytes", () => {
    const signature = sign(RFC_SEED_1, "m");
    // 64 bytes → 86 characters whose last one carries 4 unused bits; flipping one of them
    // decodes to the same bytes under Node's lenient decoder.
    const last = signature.at(-1) ?? "A";
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = signature.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    expect(Buffer.from(twin, "base64url").equals(Buffer.from(signature, "base64url"))).toBe(true);
    expect(verify(RFC_PUBLIC_1, "m", twin)).toBe(false);
  });

  it("signs with each key its own signature while more keys than the key cache holds take turns", () => {
    // The cache keeps 8 imported keys: 20 keys, signed with round-robin three times, evict
    // each other; a key served from the cache or imported again must sign alike.
    const pairs = Array.from({ length: 20 }, () => generateNodeKeyPair());
    for (let round = 0; round < 3; round++)
      for (const [i, p] of pairs.entries()) {
        const message = `round ${round} key ${i}`;
        const signature = sign(p.privateKey, message);
        expect(signature).toBe(signUncached(p.privateKey, message));
        expect(verify(p.publicKey, message, signature)).toBe(true);
        expect(verify(pairs[(i + 1) % pairs.length]?.publicKey, message, signature)).toBe(false);
      }
    // The RFC seed signs right after the cache has been churned.
    expect(sign(RFC_SEED_1, new Uint8Array())).toBe(RFC_SIGNATURE_1);
  });

  it("throws a clear error when signing with a malformed private key", () => {
    expect(() => sign("short", "m")).toThrow(/private key must be 32 bytes/);
    // A malformed key is never cached: it throws again.
    expect(() => sign("short", "m")).toThrow(/private key must be 32 bytes/);
  });

  it("property: any message signs and verifies; any single bit flip of the signature fails", () => {
    const pair = generateNodeKeyPair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), (message, bitIndex) => {
        const signature = sign(pair.privateKey, message);
        expect(verify(pair.publicKey, message, signature)).toBe(true);
        const raw = decodeBase64url(signature);
        if (raw === null) throw new Error("signature is not base64url");
        const flipped = new Uint8Array(raw);
        const bit = bitIndex % (flipped.length * 8);
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(verify(pair.publicKey, message, encodeBase64url(flipped))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("property: a changed message fails verification", () => {
    const pair = generateNodeKeyPair();
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(verify(pair.publicKey, b, sign(pair.privateKey, a))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe("decodeBase64url", () => {
  it("property: decodes exactly what encodeBase64url produced, and checks the length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(decodeBase64url(text)).toEqual(bytes);
        expect(decodeBase64url(text, bytes.length)).toEqual(bytes);
        expect(decodeBase64url(text, bytes.length + 1)).toBeNull();
      }),
    );
  });

  it("refuses padding and characters outside the alphabet", () => {
    expect(decodeBase64url("YQ==")).toBeNull();
    expect(decodeBase64url("Y Q")).toBeNull();
    expect(decodeBase64url("Y+/")).toBeNull();
    expect(decodeBase64url("YQ")).toEqual(new Uint8Array([0x61]));
  });
});
