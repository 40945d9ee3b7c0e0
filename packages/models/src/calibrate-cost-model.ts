/**
 * Re-measures the constants of COST_MODEL (estimate-cost.ts) on this machine. Run it on
 * the reference machine, quiet, and copy the fit into estimate-cost.ts with the numbers.
 */
import sharp from "sharp";
import { encodeWavPcm16 } from "./audio/wav.ts";
import { median } from "./bench-models.ts";
import { detInputSize } from "./ocr/det-input-size.ts";
import { othersCpuShare, waitForQuietCpu } from "./quiet-cpu.ts";
import { REFERENCE_PAGE_LINES, renderTextPng } from "./reference-inputs.ts";
import { createPipeline } from "./runtime/create-pipeline.ts";
import type { Pipeline } from "./runtime/pipeline.ts";
import type { SessionOptions } from "./runtime/session.ts";

/**
 * Median time of `samples` runs that had the machine to themselves. Developer machines
 * and CI here are shared with other builds and test runs (other processes often held
 * 60–90% of both cores for minutes): each batch of runs is timed together with the CPU
 * time other processes used meanwhile (quiet-cpu.ts), and only batches where they used
 * under 10% count. Batches last ≥ 100 ms, since /proc/stat counts in 10 ms ticks.
 */
async function quietMedianMs(p: Pipeline, input: unknown, samples: number, timeoutMs: number): Promise<{ ms: number; quiet: boolean }> {
  let t0 = performance.now();
  await p.run(input as never);
  const perBatch = Math.max(1, Math.ceil(100 / Math.max(1, performance.now() - t0)));
  const quiet: number[] = [];
  const all: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (quiet.length < samples && Date.now() < deadline) {
    if (all.length >= samples) await waitForQuietCpu({ timeoutMs: Math.min(5_000, Math.max(0, deadline - Date.now())) });
    const { value: ms, share } = await othersCpuShare(async () => {
      t0 = performance.now();
      for (let i = 0; i < perBatch; i++) await p.run(input as never);
      return (performance.now() - t0) / perBatch;
    });
    all.push(ms);
    if (share < 0.1) quiet.push(ms);
  }
  // No quiet batch in time: the fastest quarter of the noisy ones is the best estimate left.
  return quiet.length > 0
    ? { ms: median(quiet), quiet: true }
    : { ms: [...all].sort((a, b) => a - b)[Math.floor(all.length / 4)] as number, quiet: false };
}

/** Least squares for y = a + b·x. */
function fitLine(points: readonly { x: number; y: number }[]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  return { a: my - b * mx, b };
}

export interface CalibrationResult {
  /** quiet: false when no batch ran on a quiet machine before the timeout (the number is then an estimate). */
  points: { model: string; what: string; ms: number; quiet: boolean }[];
  fit: {
    ocr: { fixedMs: number; detMsPerPixel: number; decodeMsPerPixel: number; recMsPerPixel: number };
    vad: { fixedMs: number; msPerSecond: number };
    embedding: { msPerItem: number; msPerToken: number };
  };
}

export async function calibrateCostModel(
  opts: { samples?: number; timeoutPerPointMs?: number; session?: SessionOptions } = {},
): Promise<CalibrationResult> {
  const points: CalibrationResult["points"] = [];
  const measure = async (model: string, what: string, p: Pipeline, input: unknown) => {
    const r = await quietMedianMs(p, input, opts.samples ?? 7, opts.timeoutPerPointMs ?? 120_000);
    points.push({ model, what, ...r });
    return r.ms;
  };
  const blank = async (w: number, h: number) =>
    (
      await sharp({ create: { width: w, height: h, channels: 3, background: "#ffffff" } })
        .png()
        .toBuffer()
    ).toString("base64");

  // OCR. Blank pages time decoding, resizing and the detector; sizes up to 960 px give
  // the detector's term, larger ones add decoding at full size.
  const ocr = await createPipeline("ocr-ppocr-v4", opts.session);
  const detPoints: { x: number; y: number }[] = [];
  for (const [w, h] of [
    [320, 320],
    [640, 320],
    [640, 640],
    [960, 640],
    [960, 960],
  ] as const) {
    const d = detInputSize(w, h);
    detPoints.push({ x: d.width * d.height, y: await measure("ocr", `blank ${w}×${h}`, ocr, { image: await blank(w, h) }) });
  }
  const det = fitLine(detPoints);
  const decodeRates: number[] = [];
  for (const side of [1920, 4096]) {
    const ms = await measure("ocr", `blank ${side}×${side}`, ocr, { image: await blank(side, side) });
    const d = detInputSize(side, side);
    decodeRates.push((ms - (det.a + det.b * d.width * d.height)) / (side * side));
  }
  // Recognition at the reference page's density (10 lines of 28 px text on 640×640).
  const page = await renderTextPng(REFERENCE_PAGE_LINES, { width: 640, height: 640, fontSize: 28, lineHeight: 60, left: 24, top: 10 });
  const pageMs = await measure("ocr", "reference page 640×640, 10 lines", ocr, { image: page.toString("base64") });
  await ocr.dispose();

  // VAD: the recurrent loop is linear in the audio's length.
  const vad = await createPipeline("vad-silero-v5", opts.session);
  const vadPoints: { x: number; y: number }[] = [];
  for (const seconds of [1, 10, 60]) {
    const samples = new Int16Array(seconds * 16_000);
    // A deterministic noise floor, so the network is not fed exact zeros only.
    let seed = 12_345;
    for (let i = 0; i < samples.length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      samples[i] = ((seed >>> 16) % 200) - 100;
    }
    vadPoints.push({ x: seconds, y: await measure("vad", `${seconds} s`, vad, { audio: encodeWavPcm16(samples).toString("base64") }) });
  }
  const vadFit = fitLine(vadPoints);
  await vad.dispose();

  // Encoder: one text of n ids, [CLS] + n−2 single-piece words + [SEP].
  const enc = await createPipeline("encoder-synthetic-minilm", opts.session);
  const encPoints: { x: number; y: number }[] = [];
  for (const tokens of [4, 16, 32, 64, 128]) {
    const text = Array.from({ length: tokens - 2 }, () => "the").join(" ");
    encPoints.push({ x: tokens, y: await measure("embedding", `1 text, ${tokens} tokens`, enc, { text }) });
  }
  const encFit = fitLine(encPoints);
  await measure("embedding", "32 texts × 11 tokens", enc, {
    texts: Array.from({ length: 32 }, (_, i) => `sentence number ${i} of the batch is here`),
  });
  await enc.dispose();

  return {
    points,
    fit: {
      ocr: {
        fixedMs: det.a,
        detMsPerPixel: det.b,
        decodeMsPerPixel: Math.max(0, median(decodeRates)),
        recMsPerPixel: (pageMs - (det.a + det.b * 640 * 640)) / (640 * 640),
      },
      vad: { fixedMs: vadFit.a, msPerSecond: vadFit.b },
      embedding: { msPerItem: encFit.a, msPerToken: encFit.b },
    },
  };
}
