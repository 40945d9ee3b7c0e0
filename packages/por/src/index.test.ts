import { describe, expect, it } from "vitest";
import * as por from "./index.ts";

describe("@proofgrid/por entry point", () => {
  // Through the entry point only, the way the web app and the worker use it: a worker signs
  // a receipt for an output, the platform countersigns it, and anyone verifies it offline;
  // a tampered output or another key fails.
  it("signs, countersigns and verifies a receipt through the entry point alone", () => {
    const worker = por.generateNodeKeyPair();
    const platform = por.generateNodeKeyPair();
    const input = { text: "a sentence" };
    const output = { dim: 2, vectors: [[0.6, 0.8]] };
    const receipt = por.signReceipt(
      {
        v: 1,
        jobId: "0f8fad5b-d9cb-469f-a165-70867728950e",
        attempt: 1,
        modelId: por.sha256Hex("model bytes"),
        inputHash: por.hashJson(input),
        outputHash: por.hashJson(output),
        startedAt: "2026-12-05T10:00:00.000Z",
        finishedAt: "2026-12-05T10:00:00.010Z",
        inferenceMs: 8.6,
        nodeId: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      },
      worker.privateKey,
    );
    const countersigned = por.countersignReceipt(receipt, platform.privateKey);
    const keys = { workerPublicKey: worker.publicKey, platformPublicKey: platform.publicKey };
    expect(por.verifyCountersignedReceipt(countersigned, keys)).toBe(true);
    expect(por.verifyCountersignedReceipt({ ...countersigned, outputHash: por.hashJson({ dim: 2, vectors: [[0.8, 0.6]] }) }, keys)).toBe(
      false,
    );
    expect(por.verifyCountersignedReceipt(countersigned, { ...keys, workerPublicKey: platform.publicKey })).toBe(false);
    // Canonical JSON: the same output hashes the same whatever its key order.
    expect(por.hashJson({ vectors: [[0.6, 0.8]], dim: 2 })).toBe(receipt.outputHash);
  });

  it("imports nothing but node:crypto and zod (purity)", async () => {
    const { readFile, readdir } = await import("node:fs/promises");
    const root = new URL("./", import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    const allowed = /^(node:crypto|zod|\.{1,2}\/.*\.ts)$/;
    for (const file of files) {
      const source = await readFile(new URL(file, root), "utf8");
      for (const match of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']/gm)) {
        expect(match[1], `${file} imports ${match[1]}`).toMatch(allowed);
      }
    }
  });
});
