import { readFileSync } from "node:fs";
import sharp from "sharp";
import { LIMITS, type OcrInput, type OcrLine, type OcrOutput, ZOcrInput } from "../catalog.ts";
import { decodeBase64 } from "../inspect-input.ts";
import { ModelInputError } from "../model-input-error.ts";
import { assemblePipeline, type Pipeline } from "./pipeline.ts";
import { ort, type SessionOptions, TracedSession } from "./session.ts";

// PaddleOCR's defaults for PP-OCRv4 (tools/infer/utility.py): detector input limited to
// 960 px on the long side, DB thresholds 0.3 (pixel) and 0.6 (box), unclip ratio 1.5,
// recogniser height 48.
export const OCR_PARAMS = { detLimitSide: 960, binThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minBoxSide: 3, recHeight: 48, recMaxWidth: 3_200 } as const;
const DET_MEAN = [0.485, 0.456, 0.406] as const;
const DET_STD = [0.229, 0.224, 0.225] as const;

export interface DetBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
}

/**
 * DB post-processing: threshold the probability map, take 4-connected components, keep
 * those whose mean probability passes the box threshold, and expand each by the unclip
 * distance (DB shrinks text regions when training: area × ratio / perimeter).
 */
export function dbBoxes(prob: Float32Array, width: number, height: number, p = OCR_PARAMS): DetBox[] {
  const n = width * height;
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const boxes: DetBox[] = [];
  for (let start = 0; start < n; start++) {
    if (seen[start] || (prob[start] ?? 0) <= p.binThreshold) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    let sum = 0;
    let count = 0;
    while (top > 0) {
      const i = stack[--top] as number;
      const x = i % width;
      const y = (i - x) / width;
      sum += prob[i] ?? 0;
      count++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      const push = (j: number) => {
        if (!seen[j] && (prob[j] ?? 0) > p.binThreshold) {
          seen[j] = 1;
          stack[top++] = j;
        }
      };
      if (x > 0) push(i - 1);
      if (x < width - 1) push(i + 1);
      if (y > 0) push(i - width);
      if (y < height - 1) push(i + width);
    }
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    if (w < p.minBoxSide || h < p.minBoxSide) continue;
    const score = sum / count;
    if (score < p.boxThreshold) continue;
    const d = (w * h * p.unclipRatio) / (2 * (w + h));
    boxes.push({ x0: minX - d, y0: minY - d, x1: maxX + 1 + d, y1: maxY + 1 + d, score });
  }
  return boxes;
}

/** Reading order: top to bottom; boxes whose tops are within 10 px read left to right. */
export function sortBoxes<T extends { x0: number; y0: number }>(boxes: T[]): T[] {
  const s = [...boxes].sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  for (let i = 0; i < s.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = s[j] as T;
      const b = s[j + 1] as T;
      if (Math.abs(b.y0 - a.y0) < 10 && b.x0 < a.x0) {
        s[j] = b;
        s[j + 1] = a;
      } else break;
    }
  }
  return s;
}

/** Greedy CTC: argmax per step, merge repeats, drop blanks (class 0). */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, charset: readonly string[]): { text: string; confidence: number } {
  let prev = -1;
  let text = "";
  let confSum = 0;
  let confN = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -1;
    const base = t * classes;
    for (let c = 0; c < classes; c++) {
      const v = probs[base + c] ?? 0;
      if (v > bestP) {
        bestP = v;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += charset[best] ?? "";
      confSum += bestP;
      confN++;
    }
    prev = best;
  }
  return { text: text.trim(), confidence: confN ? confSum / confN : 0 };
}

export async function createOcrPipeline(files: { det: string; rec: string; dictionary: string }, opts: SessionOptions): Promise<Pipeline<OcrInput, OcrOutput>> {
  const det = await TracedSession.create(files.det, opts);
  const rec = await TracedSession.create(files.rec, opts);
  // Class 0 is the CTC blank, then the dictionary, then the space PaddleOCR appends.
  const charset = ["", ...readFileSync(files.dictionary, "utf8").split(/\r?\n/), " "];

  async function run(input: OcrInput): Promise<OcrOutput> {
    const parsed = ZOcrInput.safeParse(input);
    if (!parsed.success) throw new ModelInputError("OCR input must be { image: base64 }");
    const bytes = decodeBase64(parsed.data.image, "image");
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      decoded = await sharp(bytes, { limitInputPixels: LIMITS.imageMaxSide * LIMITS.imageMaxSide })
        .flatten({ background: "#ffffff" })
        .removeAlpha()
        .toColourspace("srgb")
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch {
      throw new ModelInputError("image could not be decoded: send PNG, JPEG or WebP");
    }
    const { data, info } = decoded;
    const W = info.width;
    const H = info.height;
    const raw = { raw: { width: W, height: H, channels: 3 as const } };

    const scale = Math.min(1, OCR_PARAMS.detLimitSide / Math.max(W, H));
    const dw = Math.max(32, Math.round((W * scale) / 32) * 32);
    const dh = Math.max(32, Math.round((H * scale) / 32) * 32);
    const resized = await sharp(data, raw).resize(dw, dh, { fit: "fill" }).raw().toBuffer();
    const plane = dw * dh;
    const x = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) x[c * plane + i] = ((resized[i * 3 + c] ?? 0) / 255 - (DET_MEAN[c] as number)) / (DET_STD[c] as number);
    }
    const detOut = await det.run({ x: new ort.Tensor("float32", x, [1, 3, dh, dw]) });
    const prob = detOut["sigmoid_0.tmp_0"]?.data as Float32Array;
    const rx = W / dw;
    const ry = H / dh;
    const boxes = sortBoxes(
      dbBoxes(prob, dw, dh).map((b) => ({
        x0: Math.max(0, Math.floor(b.x0 * rx)),
        y0: Math.max(0, Math.floor(b.y0 * ry)),
        x1: Math.min(W, Math.ceil(b.x1 * rx)),
        y1: Math.min(H, Math.ceil(b.y1 * ry)),
      })),
    );

    const lines: OcrLine[] = [];
    for (const b of boxes) {
      const bw = b.x1 - b.x0;
      const bh = b.y1 - b.y0;
      if (bw < 2 || bh < 2) continue;
      const tw = Math.min(OCR_PARAMS.recMaxWidth, Math.max(8, Math.ceil((OCR_PARAMS.recHeight * bw) / bh)));
      const crop = await sharp(data, raw).extract({ left: b.x0, top: b.y0, width: bw, height: bh }).resize(tw, OCR_PARAMS.recHeight, { fit: "fill" }).raw().toBuffer();
      const p = tw * OCR_PARAMS.recHeight;
      const r = new Float32Array(3 * p);
      for (let i = 0; i < p; i++) for (let c = 0; c < 3; c++) r[c * p + i] = ((crop[i * 3 + c] ?? 0) / 255 - 0.5) / 0.5;
      const out = (await rec.run({ x: new ort.Tensor("float32", r, [1, 3, OCR_PARAMS.recHeight, tw]) }))["softmax_11.tmp_0"] as ort.Tensor;
      const [, steps = 0, classes = 0] = out.dims;
      const { text, confidence } = ctcDecode(out.data as Float32Array, steps, classes, charset);
      if (!text) continue;
      lines.push({
        text,
        confidence: Math.round(confidence * 10_000) / 10_000,
        box: [
          [b.x0, b.y0],
          [b.x1, b.y0],
          [b.x1, b.y1],
          [b.x0, b.y1],
        ],
      });
    }
    return { lines, width: W, height: H };
  }

  return assemblePipeline("ocr-ppocr-v4", [det, rec], run);
}
