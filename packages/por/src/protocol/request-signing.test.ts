import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto/canonical-json.ts";
import { generateNodeKeyPair, verify } from "../crypto/ed25519.ts";
import {
  DEFAULT_MAX_SKEW_MS,
  type HeaderSource,
  NODE_HEADERS,
  nonceRetentionMs,
  pathForSigning,
  requestSigningString,
  signRequest,
  verifySignedRequest,
} from "./request-signing.ts";

const keys = generateNodeKeyPair();
const nodeId = "00000000-0000-4000-8000-000000000001";
const body = JSON.stringify({ waitMs: 1000 });
const NOW = 1_790_000_000_000;
const publicKeyFor = (id: string) => (id === nodeId ? keys.publicKey : null);

const verifyWith = (
  headers: HeaderSource,
  over: Partial<{ method: string; path: string; body: string; now: number; maxSkewMs: number }> = {},
) =>
  verifySignedRequest({
    headers,
    method: over.method ?? "POST",
    path: over.path ?? "/api/node/lease",
    body: over.body ?? body,
    now: over.now ?? NOW,
    maxSkewMs: over.maxSkewMs,
    publicKeyFor,
  });

const signed = (over: Partial<{ method: string; path: string; body: string; now: number; nonce: string }> = {}) =>
  signRequest({
    nodeId,
    privateKey: keys.privateKey,
    method: over.method ?? "POST",
    path: over.path ?? "/api/node/lease",
    body: over.body ?? body,
    now: over.now ?? NOW,
    nonce: over.nonce,
  });

describe("signed node requests", () => {
  const h = signed();

  it("verifies an intact request and reports who sent it, when, with which nonce", async () => {
    expect(await verifyWith(h)).toEqual({ ok: true, nodeId, nonce: h[NODE_HEADERS.nonce], timestamp: NOW });
  });

  it("signs the documented canonical string", () => {
    const message = requestSigningString({
      nodeId,
      timestamp: String(NOW),
      nonce: h["x-pg-nonce"],
      method: "post",
      path: "/api/node/lease",
      bodySha256: sha256Hex(body),
    });
    expect(message).toBe(`proofgrid-node-v1\n${nodeId}\n${NOW}\n${h["x-pg-nonce"]}\nPOST\n/api/node/lease\n${sha256Hex(body)}`);
    expect(verify(keys.publicKey, message, h["x-pg-signature"])).toBe(true);
  });

  it("uses a fresh nonce of at least 16 random bytes per request", () => {
    const nonces = new Set(Array.from({ length: 100 }, () => signed()["x-pg-nonce"]));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64url").length).toBeGreaterThanOrEqual(16);
  });

  it("accepts fetch Headers and Node-style records with any casing", async () => {
    expect(await verifyWith(new Headers(h))).toMatchObject({ ok: true });
    const shouting = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    expect(await verifyWith(shouting)).toMatchObject({ ok: true });
    const arrays = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v]]));
    expect(await verifyWith(arrays)).toMatchObject({ ok: true });
  });

  it("treats the method case-insensitively and an absent body as empty", async () => {
    const get = signRequest({ nodeId, privateKey: keys.privateKey, method: "get", path: "/api/node/ping", now: NOW });
    expect(
      await verifySignedRequest({ headers: get, method: "GET", path: "/api/node/ping", body: new Uint8Array(), now: NOW, publicKeyFor }),
    ).toMatchObject({
      ok: true,
    });
  });

  it("refuses an altered body, path, query or method", async () => {
    expect(await verifyWith(h, { body: `${body} ` })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyWith(h, { path: "/api/node/complete" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyWith(h, { path: "/api/node/lease?x=1" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyWith(h, { method: "PUT" })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses requests outside the ±5 minute window and accepts its edges", async () => {
    expect(await verifyWith(h, { now: NOW + DEFAULT_MAX_SKEW_MS })).toMatchObject({ ok: true });
    expect(await verifyWith(h, { now: NOW - DEFAULT_MAX_SKEW_MS })).toMatchObject({ ok: true });
    expect(await verifyWith(h, { now: NOW + DEFAULT_MAX_SKEW_MS + 1 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifyWith(h, { now: NOW - DEFAULT_MAX_SKEW_MS - 1 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifyWith(h, { now: NOW + 2_000, maxSkewMs: 1_000 })).toEqual({ ok: false, reason: "stale" });
  });

  it("refuses missing headers and unknown nodes", async () => {
    expect(await verifyWith({})).toEqual({ ok: false, reason: "missing_headers" });
    for (const name of Object.values(NODE_HEADERS)) {
      const { [name]: _dropped, ...rest } = h;
      expect(await verifyWith(rest)).toEqual({ ok: false, reason: "missing_headers" });
      expect(await verifyWith({ ...h, [name]: "" })).toEqual({ ok: false, reason: "missing_headers" });
    }
    const other = signRequest({
      nodeId: "00000000-0000-4000-8000-000000000002",
      privateKey: keys.privateKey,
      method: "POST",
      path: "/api/node/lease",
      body,
      now: NOW,
    });
    expect(await verifyWith(other)).toEqual({ ok: false, reason: "unknown_node" });
  });

  it("refuses malformed, oversized and repeated headers before looking up the node", async () => {
    let lookups = 0;
    const counting = async (headers: HeaderSource) => {
      const result = await verifySignedRequest({
        headers,
        method: "POST",
        path: "/api/node/lease",
        body,
        now: NOW,
        publicKeyFor: (id) => {
          lookups++;
          return publicKeyFor(id);
        },
      });
      return result;
    };
    const cases: HeaderSource[] = [
      { ...h, "x-pg-node": "x".repeat(129) },
      { ...h, "x-pg-node": `${nodeId}\nPOST` },
      { ...h, "x-pg-nonce": "short" },
      { ...h, "x-pg-nonce": "A".repeat(87) },
      { ...h, "x-pg-nonce": `${h["x-pg-nonce"]}=` },
      { ...h, "x-pg-signature": `${h["x-pg-signature"]}A` },
      { ...h, "x-pg-signature": "A".repeat(10_000) },
      { ...h, "x-pg-node": [nodeId, nodeId] },
      new Headers([...Object.entries(h), ["x-pg-nonce", h["x-pg-nonce"]]]),
    ];
    for (const headers of cases) expect(await counting(headers)).toEqual({ ok: false, reason: "malformed_headers" });
    expect(await counting({ ...h, "x-pg-timestamp": "12.5" })).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(await counting({ ...h, "x-pg-timestamp": "9".repeat(16) })).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(await counting({ ...h, "x-pg-timestamp": "-1" })).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(lookups).toBe(0);
    expect(await verifySignedRequest({ headers: h, method: "POST", path: "no-leading-slash", body, now: NOW, publicKeyFor })).toEqual({
      ok: false,
      reason: "malformed_headers",
    });
  });

  it("refuses a signature made by another key", async () => {
    const forged = signRequest({
      nodeId,
      privateKey: generateNodeKeyPair().privateKey,
      method: "POST",
      path: "/api/node/lease",
      body,
      now: NOW,
    });
    expect(await verifyWith(forged)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses to sign malformed fields", () => {
    expect(() => signRequest({ nodeId: "a\nb", privateKey: keys.privateKey, method: "POST", path: "/x" })).toThrow(/node id/);
    expect(() => signRequest({ nodeId, privateKey: keys.privateKey, method: "POST", path: "x" })).toThrow(/path/);
    expect(() => signRequest({ nodeId, privateKey: keys.privateKey, method: "PO ST", path: "/x" })).toThrow(/method/);
    expect(() => signRequest({ nodeId, privateKey: keys.privateKey, method: "POST", path: "/x", nonce: "abc" })).toThrow(/nonce/);
    expect(() => signRequest({ nodeId, privateKey: keys.privateKey, method: "POST", path: "/x", now: -5 })).toThrow(/now/);
  });

  it("property: changing any one signed field makes verification fail", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 256 }),
        fc.stringMatching(/^\/[a-z0-9/?=&]{0,40}$/),
        fc.constantFrom("GET", "POST", "PUT", "DELETE"),
        fc.integer({ min: 0, max: 5 }),
        async (requestBody, path, method, field) => {
          const headers = signRequest({ nodeId, privateKey: keys.privateKey, method, path, body: requestBody, now: NOW });
          const base = { headers: headers as HeaderSource, method, path, body: requestBody as Uint8Array | string, now: NOW, publicKeyFor };
          expect(await verifySignedRequest(base)).toMatchObject({ ok: true });
          const tampered = [
            { ...base, body: Uint8Array.from([...requestBody, 0]) },
            { ...base, path: `${path}x` },
            { ...base, method: method === "GET" ? "POST" : "GET" },
            { ...base, headers: { ...headers, "x-pg-timestamp": String(NOW + 1) } },
            {
              ...base,
              headers: {
                ...headers,
                "x-pg-nonce": `${headers["x-pg-nonce"].slice(0, -1)}${headers["x-pg-nonce"].endsWith("A") ? "B" : "A"}`,
              },
            },
            { ...base, headers: { ...headers, "x-pg-node": "00000000-0000-4000-8000-000000000003" } },
          ][field];
          if (tampered === undefined) throw new Error("no such field");
          const result = await verifySignedRequest({ ...tampered, publicKeyFor: () => keys.publicKey });
          expect(result).toEqual({ ok: false, reason: "bad_signature" });
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe("pathForSigning and nonceRetentionMs", () => {
  it("spells path and query as the URL parser does on both sides", () => {
    expect(pathForSigning("http://example.test/api/node/lease?wait=30")).toBe("/api/node/lease?wait=30");
    expect(pathForSigning("/api/a b?q=é")).toBe("/api/a%20b?q=%C3%A9");
    expect(pathForSigning(new URL("https://x.test/a/../b?"))).toBe("/b");
  });

  it("keeps nonces for twice the window", () => {
    expect(nonceRetentionMs()).toBe(600_000);
    expect(nonceRetentionMs(1_000)).toBe(2_000);
  });
});
