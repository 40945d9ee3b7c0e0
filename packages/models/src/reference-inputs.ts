/**
 * Deterministic inputs matching the catalog's REFERENCE_FACTS: what the cost model is
 * calibrated on, what bench-models.ts times, and what the tests render.
 */
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { encodeWavPcm16, parseWavHeader, readWavSamples, WAV_SAMPLE_RATE } from "./audio/wav.ts";
import type { EncoderInput, ModelSlug, OcrInput, VadInput } from "./model-schemas.ts";

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Black text on white, one line per entry, rendered by librsvg (DejaVu Sans where installed). */
export async function renderTextPng(
  lines: readonly string[],
  opts: { width?: number; height?: number; fontSize?: number; lineHeight?: number; left?: number; top?: number } = {},
): Promise<Buffer> {
  const fontSize = opts.fontSize ?? 48;
  const lineHeight = opts.lineHeight ?? Math.round(fontSize * 1.8);
  const left = opts.left ?? 30;
  const top = opts.top ?? 20;
  const width = opts.width ?? 1000;
  const height = opts.height ?? top * 2 + lineHeight * lines.length;
  const text = lines
    .map(
      (l, i) =>
        `<text x="${left}" y="${top + fontSize + i * lineHeight}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${escapeXml(l)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The text of the reference page: ten lines of mixed words and digits. */
export const REFERENCE_PAGE_LINES = [
  "Proofgrid compute receipt 2026",
  "Job 4471 verified by 3 workers",
  "Model PP-OCRv4 on CPU",
  "Input 640 x 640 pixels",
  "Latency median 180 ms",
  "Price per CU 0.25 tokens",
  "Region eu-west node 17",
  "Signed ed25519 receipt",
  "Ledger entry 88213 settled",
  "End of report",
] as const;

/** 16 kHz mono samples of an espeak-ng phrase (fixtures/README.md says how it was made). */
export function speechFixtureSamples(): Int16Array {
  const file = readFileSync(new URL("../fixtures/speech-16k.wav", import.meta.url));
  const info = parseWavHeader(file);
  const floats = readWavSamples(file, info);
  return Int16Array.from(floats, (v) => Math.round(v * 32_768));
}

/** Silence and copies of the speech fixture at the given offsets (seconds), as a PCM16 WAV. */
export function placeSpeech(totalSeconds: number, startsSec: readonly number[]): { wav: Buffer; speech: { start: number; end: number }[] } {
  const speech = speechFixtureSamples();
  const out = new Int16Array(Math.round(totalSeconds * WAV_SAMPLE_RATE));
  const placed = startsSec.map((s) => {
    const at = Math.round(s * WAV_SAMPLE_RATE);
    if (at + speech.length > out.length) throw new RangeError(`speech at ${s} s runs past ${totalSeconds} s`);
    out.set(speech, at);
    return { start: at / WAV_SAMPLE_RATE, end: (at + speech.length) / WAV_SAMPLE_RATE };
  });
  return { wav: encodeWavPcm16(out), speech: placed };
}

export const REFERENCE_SENTENCE = "Proofgrid runs verified inference on independent GPUs around the world.";

/** One input per model, matching REFERENCE_FACTS (640×640 page, 10 s of audio, one 16-token sentence). */
export async function referenceInputs(): Promise<
  { "ocr-ppocr-v4": OcrInput; "vad-silero-v5": VadInput; "encoder-synthetic-minilm": EncoderInput } & Record<ModelSlug, unknown>
> {
  const page = await renderTextPng(REFERENCE_PAGE_LINES, { width: 640, height: 640, fontSize: 28, lineHeight: 60, left: 24, top: 10 });
  return {
    "ocr-ppocr-v4": { image: page.toString("base64") },
    "vad-silero-v5": { audio: placeSpeech(10, [1, 5.5]).wav.toString("base64") },
    "encoder-synthetic-minilm": { text: REFERENCE_SENTENCE },
  };
}
