import { JOB_OUTPUT_TOLERANCES } from "@proofgrid/por";
import { describe, expect, it } from "vitest";
import { runHonestPairs } from "../../../bench/por-honest-lib.ts";

// A small run of `npm run bench:por-honest` (the test runs from the models package because the
// unit project only collects packages/*/src): honest workers that differ in threads and graph
// optimisation always agree under JOB_OUTPUT_TOLERANCES, and the 1 % perturbed and 2-layer
// encoders never do. The full run's numbers are in compare-job-outputs.ts.
describe("honest pairs (bench/por-honest-lib.ts)", () => {
  it("finds no false positive among honest configurations, and catches the tampered encoders", { timeout: 120_000 }, async () => {
    const progress: number[] = [];
    const report = await runHonestPairs({
      pairs: 60,
      tamperedPairs: { vad: 4, embedding: 4, ocr: 1 },
      seedTag: "honest-pairs-test",
      onProgress: (p) => progress.push(p.done),
    });
    expect(report.honest.vad.pairs + report.honest.embedding.pairs + report.honest.ocr.pairs).toBeGreaterThanOrEqual(60);
    for (const kind of ["vad", "embedding", "ocr"] as const) {
      expect(report.honest[kind].mismatches, `${kind}: ${JSON.stringify(report.honest[kind].reasons)}`).toBe(0);
    }
    const variant = (name: string, kind: string) => report.variants.find((v) => v.variant === name && v.kind === kind);
    for (const kind of ["vad", "embedding", "ocr"] as const) expect(variant("noise-1e-5", kind)?.mismatches, kind).toBe(0);
    expect(variant("perturbed-1pct", "embedding")).toMatchObject({ pairs: 4, mismatches: 4 });
    expect(variant("cheaper", "embedding")).toMatchObject({ pairs: 4, mismatches: 4 });
    expect(variant("perturbed-1pct", "ocr")).toMatchObject({ pairs: 1, mismatches: 1 });
    // The perturbed encoder's smallest deviation is far outside the tolerance, not at its edge.
    expect(variant("perturbed-1pct", "embedding")?.min.maxAbsDiff).toBeGreaterThan(5 * JOB_OUTPUT_TOLERANCES.embedding.atol);
    // The challenges are real work: the reference run reads nearly every line as rendered
    // (the one miss here: "Total: 6535.51 GBP" read without its space after the colon).
    expect(report.groundTruth.ocrLinesExact / report.groundTruth.ocrLines).toBeGreaterThanOrEqual(0.8);
    expect(report.groundTruth.vadChallengesFound).toBe(report.groundTruth.vadChallenges);
    expect(progress.length).toBeGreaterThan(0);
  });
});
