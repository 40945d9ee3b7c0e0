import type { Prng } from "./prng.ts";
import { documentLine } from "./text-templates.ts";

// An OCR challenge: a few lines of document-like text rendered as an image. The text is also
// the ground truth, so beyond comparing the worker with a checker's re-execution, a checker
// can see whether either read the page at all. Layout fields use the names of the models
// package's renderTextPng options, which renders exactly this.

export interface OcrChallenge {
  kind: "ocr";
  /** Top to bottom; also the expected text. */
  lines: string[];
  fontSize: number;
  lineHeight: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Wide enough for DejaVu Sans at ~0.62 em per character on average, with margin. */
const EM_PER_CHAR = 0.7;

export function generateOcrChallenge(prng: Prng): OcrChallenge {
  const lines = Array.from({ length: prng.int(3, 8) }, () => documentLine(prng));
  // 28–56 px: the detector resizes the page; smaller text stops being a fair test.
  const fontSize = prng.int(28, 56);
  const lineHeight = fontSize + prng.int(Math.ceil(fontSize * 0.5), fontSize);
  const left = prng.int(16, 64);
  const top = prng.int(16, 48);
  const longest = Math.max(...lines.map((line) => line.length));
  const width = Math.min(4096, 2 * left + Math.ceil(longest * fontSize * EM_PER_CHAR));
  const height = Math.min(4096, 2 * top + lineHeight * lines.length);
  return { kind: "ocr", lines, fontSize, lineHeight, left, top, width, height };
}
