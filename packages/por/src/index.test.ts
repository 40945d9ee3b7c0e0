import { describe, expect, it } from "vitest";
import * as por from "./index.ts";

describe("@proofgrid/por entry point", () => {
  it("re-exports every module's public API", () => {
    for (const name of [
      "canonicalJson",
      "hashJson",
      "sha256Hex",
      "generateNodeKeyPair",
      "sign",
      "verify",
      "signRequest",
      "verifySignedRequest",
      "signReceipt",
      "verifyReceipt",
      "countersignReceipt",
      "verifyCountersignedReceipt",
      "priceForJob",
      "cuPerHourFromBenchmark",
      "splitReward",
      "compareFloatTensors",
      "compareEmbeddings",
      "compareOcr",
      "compareSpeechSegments",
      "compareClassification",
      "compareJobOutputs",
      "reexecutionRate",
      "canaryRate",
      "shouldSample",
      "detectionProbability",
      "updateReputation",
      "reputationScore",
      "minimumSlash",
      "expectedCheatingGain",
      "penaltyForChecks",
      "minimumStake",
      "generateChallengeSeed",
      "createPrng",
      "generateChallenge",
      "materializeTensorChallenge",
    ]) {
      expect(typeof (por as Record<string, unknown>)[name], name).toBe("function");
    }
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
