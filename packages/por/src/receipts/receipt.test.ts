import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../crypto/canonical-json.ts";
import { generateNodeKeyPair, verify } from "../crypto/ed25519.ts";
import {
  type ReceiptBody,
  ZCountersignedReceipt,
  ZReceipt,
  countersignReceipt,
  receiptSigningMessage,
  signReceipt,
  verifyCountersignedReceipt,
  verifyReceipt,
} from "./receipt.ts";

const worker = generateNodeKeyPair();
const platform = generateNodeKeyPair();
const keys = { workerPublicKey: worker.publicKey, platformPublicKey: platform.publicKey };
const body: ReceiptBody = {
  v: 1,
  jobId: "00000000-0000-4000-8000-000000000001",
  attempt: 2,
  modelId: "a".repeat(64),
  inputHash: "b".repeat(64),
  outputHash: "c".repeat(64),
  startedAt: "2026-11-27T00:00:00.000Z",
  finishedAt: "2026-11-27T00:00:01.000Z",
  inferenceMs: 12.5,
  nodeId: "00000000-0000-4000-8000-000000000009",
};
const FIELDS = Object.keys(body) as (keyof ReceiptBody)[];

describe("receipts", () => {
  it("verify with the worker's key, and with the platform's countersignature", () => {
    const r = signReceipt(body, worker.privateKey);
    expect(verifyReceipt(r, worker.publicKey)).toBe(true);
    expect(verifyReceipt(r, platform.publicKey)).toBe(false);
    const c = countersignReceipt(r, platform.privateKey);
    expect(verifyCountersignedReceipt(c, keys)).toBe(true);
    expect(verifyCountersignedReceipt(c, { workerPublicKey: worker.publicKey, platformPublicKey: worker.publicKey })).toBe(false);
    expect(verifyCountersignedReceipt(c, { workerPublicKey: platform.publicKey, platformPublicKey: platform.publicKey })).toBe(false);
    expect(ZReceipt.safeParse(r).success).toBe(true);
    expect(ZCountersignedReceipt.safeParse(c).success).toBe(true);
  });

  it("signs the domain-tagged canonical JSON of exactly the body", () => {
    const r = signReceipt({ ...body, extra: "dropped" } as ReceiptBody, worker.privateKey);
    expect(Object.keys(r).sort()).toEqual([...FIELDS, "signature"].sort());
    expect(receiptSigningMessage(body)).toBe(`proofgrid-receipt-v1:${canonicalJson(body)}`);
    expect(verify(worker.publicKey, `proofgrid-receipt-v1:${canonicalJson(body)}`, r.signature)).toBe(true);
  });

  it("survives a JSON round trip (as stored in jobs.receipt)", () => {
    const c = countersignReceipt(signReceipt(body, worker.privateKey), platform.privateKey);
    expect(verifyCountersignedReceipt(JSON.parse(JSON.stringify(c)), keys)).toBe(true);
  });

  it("refuses extra unsigned fields, malformed values and non-objects without throwing", () => {
    const r = signReceipt(body, worker.privateKey);
    for (const value of [null, undefined, 42, "receipt", [], { ...r, note: "trust me" }, { ...r, signature: 7 }]) {
      expect(verifyReceipt(value, worker.publicKey)).toBe(false);
      expect(verifyCountersignedReceipt(value, keys)).toBe(false);
    }
    expect(verifyReceipt(r, "not a key")).toBe(false);
  });

  it("refuses to sign a malformed body", () => {
    expect(() => signReceipt({ ...body, modelId: "xyz" }, worker.privateKey)).toThrow();
    expect(() => signReceipt({ ...body, startedAt: "2026-11-27" }, worker.privateKey)).toThrow();
    expect(() => signReceipt({ ...body, finishedAt: "2026-11-26T23:59:59.999Z" }, worker.privateKey)).toThrow(/before startedAt/);
    expect(() => signReceipt({ ...body, inferenceMs: -1 }, worker.privateKey)).toThrow();
    expect(() => signReceipt({ ...body, startedAt: "2026-02-30T00:00:00.000Z" }, worker.privateKey)).toThrow(/calendar/);
  });

  it("property: tampering with any field invalidates the receipt", () => {
    const r = signReceipt(body, worker.privateKey);
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null)), (key, value) => {
        fc.pre(!Object.is(r[key], value));
        expect(verifyReceipt({ ...r, [key]: value }, worker.publicKey)).toBe(false);
      }),
    );
  });

  it("property: tampering with any field, or either signature, invalidates the countersigned receipt", () => {
    const c = countersignReceipt(signReceipt(body, worker.privateKey), platform.privateKey);
    const other = countersignReceipt(signReceipt({ ...body, attempt: 3 }, worker.privateKey), platform.privateKey);
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS, "signature" as const, "platformSignature" as const), (key) => {
        const replaced = { ...c, [key]: other[key] };
        fc.pre(!Object.is(c[key], other[key]));
        expect(verifyCountersignedReceipt(replaced, keys)).toBe(false);
      }),
    );
    // Swapping in another receipt's signatures along with a changed attempt is caught too.
    expect(verifyCountersignedReceipt({ ...c, signature: other.signature, platformSignature: other.platformSignature }, keys)).toBe(false);
  });

  it("property: any well-formed body signs and verifies", () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.integer({ min: 0, max: 1_000 }),
        hex,
        hex,
        hex,
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.double({ min: 0, max: 86_400_000, noNaN: true }),
        (jobId, attempt, modelId, inputHash, outputHash, start, duration, inferenceMs) => {
          const b: ReceiptBody = {
            v: 1,
            jobId,
            attempt,
            modelId,
            inputHash,
            outputHash,
            startedAt: new Date(start).toISOString(),
            finishedAt: new Date(start + duration).toISOString(),
            inferenceMs,
            nodeId: jobId,
          };
          expect(verifyReceipt(signReceipt(b, worker.privateKey), worker.publicKey)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});
