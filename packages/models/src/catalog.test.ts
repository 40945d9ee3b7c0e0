import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILTIN_MODELS, estimateCostMilliCu, getCatalogEntry, ModelInputError, REFERENCE_FACTS } from "./catalog.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Every bare import reachable from a source file through relative imports. */
function reachableImports(entry: string): Set<string> {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, "utf8");
    // `import type` is erased when compiled: it loads nothing at run time.
    for (const m of src.matchAll(/^\s*(?:import|export)\s(?!type\s)(?:[^"';]*?\sfrom\s)?["']([^"']+)["']/gm)) {
      const spec = m[1] as string;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return bare;
}

describe("catalog", () => {
  it("is import-safe for the web app: no onnxruntime, no sharp, no file system", () => {
    const imports = reachableImports(resolve(HERE, "catalog.ts"));
    expect([...imports].sort()).toEqual(["zod"]);
  });

  it("lists the three built-in models with JSON signatures and integer base costs", () => {
    expect(BUILTIN_MODELS.map((m) => m.slug)).toEqual(["ocr-ppocr-v4", "vad-silero-v5", "encoder-synthetic-minilm"]);
    for (const m of BUILTIN_MODELS) {
      expect(JSON.parse(JSON.stringify(m.signature))).toEqual(m.signature);
      expect(m.signature.input).toHaveProperty("$schema");
      expect(m.files.length).toBeGreaterThan(0);
      expect(Number.isSafeInteger(m.baseCostMilliCu) && m.baseCostMilliCu > 0).toBe(true);
      expect(m.baseCostMilliCu).toBe(estimateCostMilliCu(m.slug, REFERENCE_FACTS[m.slug]));
    }
    expect(getCatalogEntry("encoder-synthetic-minilm")).toMatchObject({
      synthetic: true,
      description: expect.stringContaining("SYNTHETIC"),
    });
    expect(BUILTIN_MODELS.filter((m) => m.synthetic).map((m) => m.slug)).toEqual(["encoder-synthetic-minilm"]);
    expect(() => getCatalogEntry("gpt-5")).toThrow(ModelInputError);
  });

  it("prices in positive integer milli-CU that grow with the input", () => {
    // Past 960 px the detector sees a downscaled image, so a wider page can cost less:
    // prices follow compute, and grow with the input up to that limit.
    const side = fc.integer({ min: 8, max: 960 });
    fc.assert(
      fc.property(side, side, side, side, (w1, h1, w2, h2) => {
        const a = estimateCostMilliCu("ocr-ppocr-v4", { kind: "ocr", width: Math.min(w1, w2), height: Math.min(h1, h2) });
        const b = estimateCostMilliCu("ocr-ppocr-v4", { kind: "ocr", width: Math.max(w1, w2), height: Math.max(h1, h2) });
        return Number.isSafeInteger(a) && a >= 1 && a <= b;
      }),
    );
    const anySide = fc.integer({ min: 8, max: 4096 });
    fc.assert(
      fc.property(anySide, anySide, (width, height) => {
        const cost = estimateCostMilliCu("ocr-ppocr-v4", { kind: "ocr", width, height });
        // Bounded by a full 960×960 detector input plus decoding 4096×4096.
        return Number.isSafeInteger(cost) && cost >= 1 && cost <= 1_600;
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: 0.032, max: 600, noNaN: true }), fc.double({ min: 0.032, max: 600, noNaN: true }), (s1, s2) => {
        const a = estimateCostMilliCu("vad-silero-v5", { kind: "vad", seconds: Math.min(s1, s2) });
        const b = estimateCostMilliCu("vad-silero-v5", { kind: "vad", seconds: Math.max(s1, s2) });
        return Number.isSafeInteger(a) && a >= 1 && a <= b;
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 2, max: 128 }),
        fc.integer({ min: 0, max: 126 }),
        (items, perItem, more) => {
          const tokens = items * perItem;
          const a = estimateCostMilliCu("encoder-synthetic-minilm", { kind: "embedding", items, chars: tokens, tokens });
          const b = estimateCostMilliCu("encoder-synthetic-minilm", { kind: "embedding", items, chars: tokens, tokens: tokens + more });
          return Number.isSafeInteger(a) && a >= 1 && a <= b;
        },
      ),
    );
  });

  it("refuses facts that belong to another model", () => {
    expect(() => estimateCostMilliCu("vad-silero-v5", { kind: "ocr", width: 10, height: 10 })).toThrow(ModelInputError);
    expect(() => estimateCostMilliCu("nope", { kind: "vad", seconds: 1 })).toThrow(/do not fit/);
  });
});
