import { describe, expect, it } from "vitest";
import { encodeWavPcm16 } from "../audio/wav.ts";
import { renderTextPng } from "../reference-inputs.ts";
import { measureInput, type OcrShape, sentenceCount, type VadShape } from "./measure-input.ts";
import { renderTrafficChallenge } from "./render-traffic-challenge.ts";

// A challenge copies the shape of one customer job: measured again, it has that job's size,
// format, layout, lengths and noise floor, and its content comes from the corpus given.

const corpus = {
  sentences: [
    "The committee met on Tuesday to discuss the budget.",
    "Rain is expected later in the week.",
    "She signed the lease for two more years, with an option to renew.",
  ],
  lines: ["Invoice 2291", "Total due: 418.00 EUR", "Payment within 30 days", "Dr. Maria Lopez, Department of Surgery"],
  speech: [] as Int16Array[],
};

describe("renderTrafficChallenge", () => {
  it("encoder: the customer's form and text lengths, in corpus sentences", async () => {
    const r = await renderTrafficChallenge({ kind: "embedding", form: "texts", lengths: [52, 35, 110] }, corpus, "seed-0123456789abcdef");
    expect(r.source).toBe("corpus");
    const texts = (r.input as { texts: string[] }).texts;
    expect(texts).toHaveLength(3);
    expect(texts[0]).toBe(corpus.sentences[0]);
    expect(Math.abs((texts[2] as string).length - 110) / 110).toBeLessThan(0.35);
    for (const t of texts) for (const s of t.split(/(?<=\.) /)) expect(corpus.sentences).toContain(s);
  });

  it("encoder: as many sentences per text as the customer's, not short ones joined to reach the length", async () => {
    const customer = await measureInput("encoder-synthetic-minilm", {
      texts: ["One sentence of a customer, about sixty characters long here.", "Two short ones. Side by side."],
    });
    expect((customer.shape as { sentences?: number[] }).sentences).toEqual([1, 2]);
    const pool = {
      ...corpus,
      sentences: [
        "Rates rose.",
        "It rained.",
        "We left early.",
        "Prices fell.",
        "The train arrived late again today, as on most days.",
        "Go home.",
        "Read it.",
      ],
    };
    const r = await renderTrafficChallenge(customer.shape, pool, "seed-0123456789abcdef");
    expect((r.input as { texts: string[] }).texts.map(sentenceCount)).toEqual([1, 2]);
  });

  it("OCR: same size, format and line layout as the page it copies, with the corpus's lines", async () => {
    const page = await renderTextPng(["Quarterly report 2026", "Net revenue rose 4 %"], { width: 700, height: 260, fontSize: 36 });
    const customer = await measureInput(
      "ocr-ppocr-v4",
      { image: page.toString("base64") },
      {
        lines: [
          {
            text: "Quarterly report 2026",
            confidence: 0.99,
            box: [
              [30, 48],
              [470, 48],
              [470, 100],
              [30, 100],
            ],
          },
          {
            text: "Net revenue rose 4 %",
            confidence: 0.99,
            box: [
              [30, 114],
              [430, 114],
              [430, 166],
              [30, 166],
            ],
          },
        ],
      },
    );
    const shape = { ...(customer.shape as OcrShape), format: "jpeg" as const };
    const r = await renderTrafficChallenge(shape, corpus, "seed-0123456789abcdef");
    const again = await measureInput("ocr-ppocr-v4", r.input);
    const s = again.shape as OcrShape;
    expect([s.format, s.width, s.height]).toEqual(["jpeg", 700, 260]);
    expect(Math.abs((again.stats.inkRowShare ?? 0) - (customer.stats.inkRowShare ?? 1))).toBeLessThan(0.15);
    expect(Math.abs(s.paperLuma - shape.paperLuma)).toBeLessThanOrEqual(3);
  });

  it("VAD: the customer's duration and noise floor, speech where its speech was", async () => {
    const shape: VadShape = { kind: "vad", durationSec: 4.2, noiseRms: 0.002, peak: 0.5, speech: [{ start: 0.8, end: 2.6 }] };
    const r = await renderTrafficChallenge(shape, corpus, "seed-0123456789abcdef");
    expect(r.source).toBe("fallback"); // no speech in this corpus: the package's fixture stands in
    const m = await measureInput("vad-silero-v5", r.input);
    expect((m.shape as VadShape).durationSec).toBe(4.2);
    expect(m.stats.noiseFloor).toBeGreaterThan(0.001);
    expect(m.stats.noiseFloor).toBeLessThan(0.004);
    expect(m.stats.peak).toBeCloseTo(0.5, 1);
  });

  it("VAD: the customer's exact length in samples, not rounded to the millisecond", async () => {
    // bench:por measured AUC 0.97 on VAD with the shape's duration rounded to the ms: every
    // challenge lasted a whole number of milliseconds (a multiple of 16 samples at 16 kHz),
    // a customer's recording only one time in sixteen.
    const n = 16_000 * 3 + 7;
    const pcm = Int16Array.from({ length: n }, (_, i) => Math.round(Math.sin(i / 9) * 3_000 * (i > 16_000 && i < 32_000 ? 1 : 0.02)));
    const customer = await measureInput("vad-silero-v5", { audio: encodeWavPcm16(pcm).toString("base64") });
    expect(customer.stats.exactMilliseconds).toBe(0);
    const r = await renderTrafficChallenge(customer.shape, corpus, "seed-0123456789abcdef");
    const again = await measureInput("vad-silero-v5", r.input);
    expect(again.stats.bytes).toBe(customer.stats.bytes);
    expect(again.stats.exactMilliseconds).toBe(0);
  });
});
