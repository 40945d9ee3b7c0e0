import { readFileSync } from "node:fs";
import sharp from "sharp";
import { checkImageInput } from "../inspect-input.ts";
import { LIMITS, type OcrLine, type OcrOutput } from "../model-schemas.ts";
import { ctcCharset, ctcGreedyDecode } from "../ocr/ctc-decode.ts";
import { dbBoxes } from "../ocr/db-boxes.ts";
import { detInputSize } from "../ocr/det-input-size.ts";
import { sortReadingOrder } from "../ocr/reading-order.ts";
import { assemblePipeline } from "./assemble-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";
import { assertSessionIo, ModelSession, ort, outputTensor, type SessionOptions } from "./session.ts";

// PaddleOCR's PP-OCRv4 inference defaults (tools/infer/utility.py, predict_rec.py).
export const OCR_PARAMS = {
  recHeight: 48,
  /** rec_image_shape 3×48×320: narrower crops are padded to 320, as PaddleOCR does. */
  recMinWidth: 320,
  /** A bound PaddleOCR does not have: wider lines are squeezed (ratio 66:1). */
  recMaxWidth: 3_200,
  /** Lines read with a lower confidence are dropped (drop_score). */
  dropScore: 0.5,
  /** Crops at least 1.5× taller than wide are vertical text: rotated 90° (get_rotate_crop_image). */
  verticalRatio: 1.5,
} as const;
const DET_MEAN = [0.485, 0.456, 0.406] as const;
const DET_STD = [0.229, 0.224, 0.225] as const;
const DET_INPUT = "x";
const DET_OUTPUT = "sigmoid_0.tmp_0";
const REC_INPUT = "x";
const REC_OUTPUT = "softmax_11.tmp_0";

/**
 * Interleaved 8-bit RGB → planar float32 BGR (PaddleOCR decodes with OpenCV, so the
 * networks were trained on BGR), normalised per channel.
 */
function toPlanarBgr(
  rgb: Uint8Array,
  pixels: number,
  width: number,
  tensorWidth: number,
  mean: readonly number[],
  std: readonly number[],
): Float32Array {
  const height = pixels / width;
  const plane = tensorWidth * height;
  // Padding (tensorWidth > width) stays 0, PaddleOCR's padding value after normalisation.
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 3;
      const dst = y * tensorWidth + x;
      for (let c = 0; c < 3; c++) {
        const rgbChannel = 2 - c;
        out[c * plane + dst] = ((rgb[src + rgbChannel] as number) / 255 - (mean[c] as number)) / (std[c] as number);
      }
    }
  }
  return out;
}

export async function createOcrPipeline(
  files: { det: string; rec: string; dictionary: string },
  id: string,
  options: Required<SessionOptions>,
): Promise<Pipeline<"ocr-ppocr-v4">> {
  const det = await ModelSession.create(files.det, options);
  const rec = await ModelSession.create(files.rec, options);
  assertSessionIo(det, "PP-OCRv4 detector", [DET_INPUT], [DET_OUTPUT]);
  assertSessionIo(rec, "PP-OCRv4 recogniser", [REC_INPUT], [REC_OUTPUT]);
  const charset = ctcCharset(readFileSync(files.dictionary, "utf8"));

  async function readLine(
    rgb: Buffer,
    W: number,
    H: number,
    box: { x0: number; y0: number; x1: number; y1: number },
  ): Promise<OcrLine | undefined> {
    let w = box.x1 - box.x0;
    let h = box.y1 - box.y0;
    let crop = sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).extract({ left: box.x0, top: box.y0, width: w, height: h });
    if (h / w >= OCR_PARAMS.verticalRatio) {
      crop = sharp(await crop.raw().toBuffer(), { raw: { width: w, height: h, channels: 3 } }).rotate(-90);
      [w, h] = [h, w];
    }
    const rh = OCR_PARAMS.recHeight;
    const rw = Math.min(OCR_PARAMS.recMaxWidth, Math.max(1, Math.ceil((rh * w) / h)));
    const tw = Math.max(OCR_PARAMS.recMinWidth, rw);
    // Cubic, as PaddleOCR's crop (warpPerspective with INTER_CUBIC). Of 75 rendered lines,
    // at unclip ratio 1.5 bilinear read 54 back exactly, Lanczos 62 and cubic 63; at 1.8,
    // bilinear 62 and cubic 70 (the misses: "a b c d e f"). What goes missing is spaces.
    const pixels = await crop.resize(rw, rh, { fit: "fill", kernel: "cubic" }).raw().toBuffer();
    const x = toPlanarBgr(pixels, rw * rh, rw, tw, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    const out = outputTensor(await rec.run({ [REC_INPUT]: new ort.Tensor("float32", x, [1, 3, rh, tw]) }), REC_OUTPUT);
    const [, steps = 0, classes = 0] = out.dims;
    const decoded = ctcGreedyDecode(out.data as Float32Array, steps, classes, charset);
    // A space at either end is the recogniser reading the box's margin, not text.
    const text = decoded.text.trim();
    const { confidence } = decoded;
    if (!text || confidence < OCR_PARAMS.dropScore) return undefined;
    return {
      text,
      confidence: Math.round(confidence * 10_000) / 10_000,
      box: [
        [box.x0, box.y0],
        [box.x1, box.y0],
        [box.x1, box.y1],
        [box.x0, box.y1],
      ],
    };
  }

  async function run(input: unknown): Promise<OcrOutput> {
    const image = await checkImageInput(input);
    // Transparent pixels become white (text is usually dark on light); grey and palette images become RGB.
    const { data: rgb, info } = await sharp(image.bytes)
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded image has ${info.channels} channels, expected 3`);
    const W = info.width;
    const H = info.height;

    const d = detInputSize(W, H);
    const resized = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .resize(d.width, d.height, { fit: "fill", kernel: "linear" })
      .raw()
      .toBuffer();
    const x = toPlanarBgr(resized, d.width * d.height, d.width, d.width, DET_MEAN, DET_STD);
    const prob = outputTensor(await det.run({ [DET_INPUT]: new ort.Tensor("float32", x, [1, 3, d.height, d.width]) }), DET_OUTPUT);

    // Detector-map boxes → original pixels (PaddleOCR rounds and clips the same way).
    const sx = W / d.width;
    const sy = H / d.height;
    const boxes = sortReadingOrder(
      dbBoxes(prob.data as Float32Array, d.width, d.height).map((b) => ({
        x0: Math.min(W - 1, Math.max(0, Math.round(b.x0 * sx))),
        y0: Math.min(H - 1, Math.max(0, Math.round(b.y0 * sy))),
        x1: Math.min(W, Math.max(0, Math.round(b.x1 * sx))),
        y1: Math.min(H, Math.max(0, Math.round(b.y1 * sy))),
      })),
    ).filter((b) => b.x1 - b.x0 >= 2 && b.y1 - b.y0 >= 2);

    const lines: OcrLine[] = [];
    for (const b of boxes.slice(0, LIMITS.ocrMaxLines)) {
      const line = await readLine(rgb, W, H, b);
      if (line) lines.push(line);
    }
    return { lines, width: W, height: H };
  }

  return assemblePipeline({ slug: "ocr-ppocr-v4", id, options, sessions: [det, rec], run });
}
