import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateNodeKeyPair } from "../crypto/ed25519.ts";
import { countersignReceipt, type ReceiptBody, signReceipt, verifyCountersignedReceipt, verifyReceipt } from "./receipt.ts";

const worker = generateNodeKeyPair();
const platform = generateNodeKeyPair();
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

describe("receipts", () => {
  it("verify with the worker's key, and with the platform's countersignature", () => {
    const r = signReceipt(body, worker.privateKey);
    expect(verifyReceipt(r, worker.publicKey)).toBe(true);
    expect(verifyReceipt(r, platform.publicKey)).toBe(false);
    const c = countersignReceipt(r, platform.privateKey);
    expect(verifyCountersignedReceipt(c, { workerPublicKey: worker.publicKey, platformPublicKey: platform.publicKey })).toBe(true);
    expect(verifyCountersignedReceipt(c, { workerPublicKey: worker.publicKey, platformPublicKey: worker.publicKey })).toBe(false);
  });
  it("tampering with any field invalidates the receipt (property)", () => {
    const r = signReceipt(body, worker.privateKey);
    const keys = Object.keys(body) as (keyof ReceiptBody)[];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.oneof(fc.string(), fc.integer()), (key, value) => {
        fc.pre(r[key] !== value);
        const tampered = { ...r, [key]: value };
        expect(verifyReceipt(tampered, worker.publicKey)).toBe(false);
      }),
    );
  });
});
