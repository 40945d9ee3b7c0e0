/**
 * What a job's input looks like, in numbers: the shape a challenge copies (sizes, formats,
 * layout, lengths, noise floor) and the statistics an adversarial worker could compute from
 * the payload to tell challenges from customer jobs. The platform keeps only these numbers
 * of customer inputs (traffic_samples), never their content; the benchmark's adversary
 * (bench/por-stealth) measures every payload it leases with the same function and more.
 */
import sharp from "sharp";
import { parseWavHeader, readWavSamples } from "../audio/wav.ts";
import type { ModelSlug } from "../model-schemas.ts";

/** Images are measured on a copy at most this wide: statistics, not detail. */
const STATS_WIDTH = 320;
/** Audio frames for energy statistics: 20 ms at 16 kHz. */
const FRAME = 320;

export interface OcrShape {
  kind: "ocr";
  format: "png" | "jpeg" | "webp";
  width: number;
  height: number;
  /** Encoded bytes per pixel: a JPEG/WebP quality or PNG compression target. */
  bytesPerPixel: number;
  hasAlpha: boolean;
  /** Luma (0..255) of the background (95th percentile) and of the ink (5th percentile). */
  paperLuma: number;
  inkLuma: number;
  /** Std of luma over background pixels: scan or camera noise. */
  noise: number;
  /** Mean chroma (0..255): 0 for grey pages. */
  chroma: number;
  /** Text lines as fractions of the page [x0, y0, x1, y1] (from the verified output), top to bottom. */
  lines: [number, number, number, number][];
}

export interface VadShape {
  kind: "vad";
  durationSec: number;
  /** RMS (full scale 1) of the quietest tenth of 20 ms frames: the recording's noise floor. */
  noiseRms: number;
  peak: number;
  /** Speech as the verified output marked it, seconds. */
  speech: { start: number; end: number }[];
}

export interface EncoderShape {
  kind: "embedding";
  form: "text" | "texts";
  /** Characters of each text. */
  lengths: number[];
  /** Sentence ends in each text (at least 1); absent in shapes measured before it existed. */
  sentences?: number[];
}

/** Sentence ends in a text: `.`, `!` or `?` before a space or the end; at least 1. */
export function sentenceCount(text: string): number {
  return Math.max(1, (text.match(/[.!?](\s|$)/g) ?? []).length);
}

export type InputShape = OcrShape | VadShape | EncoderShape;

export interface MeasuredInput {
  shape: InputShape;
  /** Named statistics of the payload (the adversary's features beyond the shape). */
  stats: Record<string, number>;
  /** The input kind a worker can tell at a glance: ocr-png, ocr-jpeg, vad-wav, text, texts. */
  inputKind: string;
}

const quantile = (sorted: ArrayLike<number>, q: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

export async function measureInput(slug: ModelSlug | string, input: unknown, output?: unknown): Promise<MeasuredInput> {
  switch (slug) {
    case "ocr-ppocr-v4":
      return measureImage((input as { image: string }).image, output);
    case "vad-silero-v5":
      return measureAudio((input as { audio: string }).audio, output);
    case "encoder-synthetic-minilm":
      return measureText(input);
    default:
      throw new Error(`no measurement for ${slug}`);
  }
}

async function measureImage(b64: string, output: unknown): Promise<MeasuredInput> {
  const bytes = Buffer.from(b64, "base64");
  const meta = await sharp(bytes).metadata();
  const width = meta.width ?? 1;
  const height = meta.height ?? 1;
  const scale = Math.min(1, STATS_WIDTH / width);
  const w = Math.max(1, Math.round(width * scale));
  const { data, info } = await sharp(bytes).removeAlpha().resize({ width: w }).raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const luma = new Float64Array(n);
  let chroma = 0;
  for (let i = 0; i < n; i++) {
    const r = data[i * info.channels] as number;
    const g = (info.channels >= 3 ? data[i * info.channels + 1] : r) as number;
    const b = (info.channels >= 3 ? data[i * info.channels + 2] : r) as number;
    luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    chroma += Math.max(r, g, b) - Math.min(r, g, b);
  }
  const sorted = Float64Array.from(luma).sort();
  const paper = quantile(sorted, 0.95);
  const ink = quantile(sorted, 0.05);
  const mid = (paper + ink) / 2;
  let bgSum = 0;
  let bgSq = 0;
  let bgN = 0;
  let inkN = 0;
  let edges = 0;
  const hist = new Array<number>(16).fill(0);
  for (let i = 0; i < n; i++) {
    const v = luma[i] as number;
    hist[Math.min(15, Math.floor(v / 16))] = (hist[Math.min(15, Math.floor(v / 16))] ?? 0) + 1;
    if (v > mid) {
      bgSum += v;
      bgSq += v * v;
      bgN++;
    } else inkN++;
    if (i % info.width > 0 && Math.abs(v - (luma[i - 1] as number)) > 32) edges++;
  }
  const bgMean = bgN ? bgSum / bgN : 0;
  const noise = bgN ? Math.sqrt(Math.max(0, bgSq / bgN - bgMean * bgMean)) : 0;
  const entropy = -hist.reduce((a, c) => (c ? a + (c / n) * Math.log2(c / n) : a), 0);
  // Row profile: how many rows hold ink (text density and line spacing).
  let inkRows = 0;
  for (let y = 0; y < info.height; y++) {
    let any = 0;
    for (let x = 0; x < info.width; x++) if ((luma[y * info.width + x] as number) <= mid) any++;
    if (any > info.width * 0.01) inkRows++;
  }
  const lines = ocrLines(output, width, height);
  const format = meta.format === "jpeg" || meta.format === "webp" ? meta.format : "png";
  const bytesPerPixel = bytes.length / (width * height);
  const shape: OcrShape = {
    kind: "ocr",
    format,
    width,
    height,
    bytesPerPixel,
    hasAlpha: Boolean(meta.hasAlpha),
    paperLuma: Math.round(paper),
    inkLuma: Math.round(ink),
    noise: Math.round(noise * 100) / 100,
    chroma: Math.round((chroma / n) * 100) / 100,
    lines,
  };
  return {
    shape,
    inputKind: `ocr-${format}`,
    stats: {
      width,
      height,
      aspect: width / height,
      bytes: bytes.length,
      bytesPerPixel,
      channels: meta.channels ?? 0,
      hasAlpha: meta.hasAlpha ? 1 : 0,
      hasExif: meta.exif ? 1 : 0,
      hasIcc: meta.icc ? 1 : 0,
      density: meta.density ?? 0,
      progressive: meta.isProgressive ? 1 : 0,
      paperLuma: paper,
      inkLuma: ink,
      noise,
      chroma: chroma / n,
      inkShare: inkN / n,
      edgeDensity: edges / n,
      entropy,
      inkRowShare: inkRows / info.height,
      lineCount: lines.length,
      meanLineHeight: lines.length ? lines.reduce((a, l) => a + (l[3] - l[1]), 0) / lines.length : 0,
      meanLineWidth: lines.length ? lines.reduce((a, l) => a + (l[2] - l[0]), 0) / lines.length : 0,
    },
  };
}

/** The verified output's line boxes as page fractions, top to bottom. */
function ocrLines(output: unknown, width: number, height: number): [number, number, number, number][] {
  const lines = (output as { lines?: { box?: number[][] }[] } | undefined)?.lines;
  if (!Array.isArray(lines)) return [];
  const out: [number, number, number, number][] = [];
  for (const l of lines.slice(0, 64)) {
    const box = l.box;
    if (!Array.isArray(box) || box.length < 4) continue;
    const xs = box.map((p) => Number(p[0]));
    const ys = box.map((p) => Number(p[1]));
    if (![...xs, ...ys].every(Number.isFinite)) continue;
    const r = (v: number) => Math.round(v * 1000) / 1000;
    out.push([r(Math.min(...xs) / width), r(Math.min(...ys) / height), r(Math.max(...xs) / width), r(Math.max(...ys) / height)]);
  }
  return out.sort((a, b) => a[1] - b[1]);
}

function measureAudio(b64: string, output: unknown): MeasuredInput {
  const file = Buffer.from(b64, "base64");
  const info = parseWavHeader(file);
  const x = readWavSamples(file, info);
  const frames = Math.max(1, Math.floor(x.length / FRAME));
  const rms = new Float64Array(frames);
  let sum = 0;
  let sumAbs = 0;
  let sumDiff = 0;
  let peak = 0;
  let zc = 0;
  let clipped = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    sum += v;
    sumAbs += Math.abs(v);
    if (i > 0) {
      sumDiff += Math.abs(v - (x[i - 1] as number));
      if (v >= 0 !== (x[i - 1] as number) >= 0) zc++;
    }
    if (Math.abs(v) > peak) peak = Math.abs(v);
    if (Math.abs(v) > 0.99) clipped++;
  }
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let i = f * FRAME; i < Math.min(x.length, (f + 1) * FRAME); i++) s += (x[i] as number) ** 2;
    rms[f] = Math.sqrt(s / FRAME);
  }
  const sorted = Float64Array.from(rms).sort();
  const floor = quantile(sorted, 0.1);
  const loud = quantile(sorted, 0.9);
  let speechFrames = 0;
  for (const r of rms) if (r > Math.max(floor * 4, 1e-3)) speechFrames++;
  const total = x.length / info.sampleRate;
  const speech = ((output as { segments?: { start: number; end: number }[] } | undefined)?.segments ?? [])
    .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end) && s.end > s.start)
    .slice(0, 64)
    .map((s) => ({ start: Math.round(s.start * 1000) / 1000, end: Math.round(s.end * 1000) / 1000 }));
  // The duration unrounded (samples / rate): a challenge rendered from it has the customer's
  // exact length in samples. Rounded to the ms, every challenge lasted whole milliseconds and
  // that alone told them apart (bench:por: AUC 0.97 on VAD).
  const shape: VadShape = { kind: "vad", durationSec: total, noiseRms: floor, peak, speech };
  const n = Math.max(1, x.length);
  return {
    shape,
    inputKind: "vad-wav",
    stats: {
      durationSec: total,
      bytes: file.length,
      sampleRate: info.sampleRate,
      noiseFloor: floor,
      loudFrames: loud,
      dynamicRange: floor > 0 ? Math.log10(loud / floor) : 6,
      peak,
      crest: sumAbs > 0 ? peak / (sumAbs / n) : 0,
      dcOffset: sum / n,
      zeroCrossRate: zc / n,
      brightness: sumAbs > 0 ? sumDiff / sumAbs : 0,
      clippedShare: clipped / n,
      energySpeechShare: speechFrames / frames,
      segments: speech.length,
      segmentSpeechShare: total > 0 ? speech.reduce((a, s) => a + s.end - s.start, 0) / total : 0,
      firstSpeechAt: speech[0]?.start ?? total,
      exactMilliseconds: Math.abs(total * 1000 - Math.round(total * 1000)) < 1e-6 ? 1 : 0,
    },
  };
}

const STOPWORDS = new Set(
  "the of and to a in that is was he for it with as his on be at by i this had not are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people mr how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three".split(
    " ",
  ),
);

function measureText(input: unknown): MeasuredInput {
  const texts =
    typeof input === "object" && input !== null && "texts" in input
      ? (input as { texts: string[] }).texts
      : [(input as { text: string }).text];
  const form = typeof input === "object" && input !== null && "texts" in input ? "texts" : "text";
  const all = texts.join(" ");
  const chars = Math.max(1, all.length);
  const count = (re: RegExp) => (all.match(re) ?? []).length;
  const words = all.split(/\s+/).filter(Boolean);
  const lower = words.map((w) => w.toLowerCase().replace(/[^a-z']/g, "")).filter(Boolean);
  const lengths = texts.map((t) => t.length);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const sd = Math.sqrt(lengths.reduce((a, b) => a + (b - mean) ** 2, 0) / lengths.length);
  const shape: EncoderShape = { kind: "embedding", form, lengths, sentences: texts.map(sentenceCount) };
  return {
    shape,
    inputKind: form,
    stats: {
      texts: texts.length,
      totalChars: all.length,
      meanChars: mean,
      sdChars: sd,
      words: words.length,
      meanWordLength: words.length ? words.reduce((a, w) => a + w.length, 0) / words.length : 0,
      digitShare: count(/[0-9]/g) / chars,
      upperShare: count(/[A-Z]/g) / chars,
      punctShare: count(/[.,;:!?'"()-]/g) / chars,
      nonAsciiShare: count(/[^ -~\t\n\r]/g) / chars,
      stopwordShare: lower.length ? lower.filter((w) => STOPWORDS.has(w)).length / lower.length : 0,
      typeTokenRatio: lower.length ? new Set(lower).size / lower.length : 0,
      sentenceEnds: count(/[.!?](\s|$)/g) / texts.length,
      endsWithPunct: texts.filter((t) => /[.!?"')]$/.test(t.trim())).length / texts.length,
      startsUpper: texts.filter((t) => /^[A-Z]/.test(t.trim())).length / texts.length,
      doubleSpaces: count(/ {2}/g) / chars,
    },
  };
}
