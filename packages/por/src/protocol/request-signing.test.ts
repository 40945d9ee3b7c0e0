import { describe, expect, it } from "vitest";
import { generateNodeKeyPair } from "../crypto/ed25519.ts";
import { signRequest, verifySignedRequest } from "./request-signing.ts";

const keys = generateNodeKeyPair();
const nodeId = "00000000-0000-4000-8000-000000000001";
const body = JSON.stringify({ waitMs: 1000 });
const verifyWith = (headers: Record<string, string>, over: Partial<{ method: string; path: string; body: string; now: number }> = {}) =>
  verifySignedRequest({ headers, method: over.method ?? "POST", path: over.path ?? "/api/node/lease", body: over.body ?? body, now: over.now, publicKeyFor: (id) => (id === nodeId ? keys.publicKey : null) });

describe("signed node requests", () => {
  const h = signRequest({ nodeId, privateKey: keys.privateKey, method: "POST", path: "/api/node/lease", body });
  it("verifies an intact request", async () => {
    expect(await verifyWith(h)).toMatchObject({ ok: true, nodeId });
  });
  it("refuses an altered body, path or method", async () => {
    expect(await verifyWith(h, { body: `${body} ` })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyWith(h, { path: "/api/node/complete" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyWith(h, { method: "PUT" })).toEqual({ ok: false, reason: "bad_signature" });
  });
  it("refuses requests outside the ±5 minute window", async () => {
    expect(await verifyWith(h, { now: Date.now() + 301_000 })).toEqual({ ok: false, reason: "stale" });
    expect(await verifyWith(h, { now: Date.now() - 301_000 })).toEqual({ ok: false, reason: "stale" });
  });
  it("refuses missing headers and unknown nodes", async () => {
    expect(await verifyWith({})).toEqual({ ok: false, reason: "missing_headers" });
    const other = signRequest({ nodeId: "00000000-0000-4000-8000-000000000002", privateKey: keys.privateKey, method: "POST", path: "/api/node/lease", body });
    expect(await verifyWith(other)).toEqual({ ok: false, reason: "unknown_node" });
  });
  it("refuses a signature made by another key", async () => {
    const forged = signRequest({ nodeId, privateKey: generateNodeKeyPair().privateKey, method: "POST", path: "/api/node/lease", body });
    expect(await verifyWith(forged)).toEqual({ ok: false, reason: "bad_signature" });
  });
});
