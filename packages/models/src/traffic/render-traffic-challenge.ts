/**
 * Challenge inputs shaped like the traffic (issue 12): the shape comes from one recent
 * customer job of the same model (its size, format, bytes per pixel, line layout, page and
 * ink tones, noise; its duration, noise floor and where its speech was; its batch size and
 * text lengths — numbers only, measured by measureInput), and the content from the
 * platform's private corpus (sentences, recognised lines and speech clips donated by
 * organisations that opted in; never a public package). Without a corpus yet, por's seeded
 * templates and the package's speech fixture stand in, and the result says so.
 *
 * Pure given its arguments: the same seed, shape and content give the same bytes on one
 * machine. The platform sends the rendered input to the checker (the corpus is private),
 * so nothing has to be rebuilt elsewhere.
 */
import { createPrng, documentLine, type Prng, sentence } from "@proofgrid/por";
import sharp from "sharp";
import { encodeWavPcm16, WAV_SAMPLE_RATE } from "../audio/wav.ts";
import { LIMITS } from "../model-schemas.ts";
import { speechFixtureSamples } from "../reference-inputs.ts";
import { type EncoderShape, type InputShape, type OcrShape, sentenceCount, type VadShape } from "./measure-input.ts";

export interface ChallengeContent {
  /** Candidate sentences (encoder texts), a random draw from the corpus. */
  sentences: readonly string[];
  /** Candidate document lines (OCR). */
  lines: readonly string[];
  /** Candidate speech clips, 16 kHz PCM16. */
  speech: readonly Int16Array[];
  /** Candidate background recordings (the stretches without speech of donated audio), 16 kHz PCM16. */
  room?: readonly Int16Array[];
}

export interface RenderedChallenge {
  input: unknown;
  /** corpus: content from the private corpus; fallback: por's public templates stood in. */
  source: "corpus" | "fallback";
}

/** Fonts installed with the project's image renderer (fonts-dejavu, fonts-liberation). */
const FONTS = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "Liberation Sans", "Liberation Serif", "Liberation Mono"];
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function renderTrafficChallenge(shape: InputShape, content: ChallengeContent, seed: string): Promise<RenderedChallenge> {
  const prng = createPrng(`traffic-challenge-v1\n${seed}`);
  switch (shape.kind) {
    case "embedding":
      return renderTexts(shape, content, prng);
    case "ocr":
      return renderPage(shape, content, prng);
    case "vad":
      return renderAudio(shape, content, prng);
  }
}

/**
 * The candidate nearest `target` characters (and, given `ends`, that many sentence ends)
 * among a few drawn at random.
 */
function nearest(prng: Prng, pool: readonly string[], target: number, ends?: number): string | undefined {
  if (pool.length === 0) return undefined;
  let best: string | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  // A small pool is searched whole; a large one by 24 random draws (its use stays spread).
  const draws = pool.length <= 24 ? pool : Array.from({ length: 24 }, () => prng.pick(pool));
  for (const c of draws) {
    // A sentence too many or too few weighs like a length off by half the target.
    const cost = Math.abs(c.length - target) + (ends === undefined ? 0 : Math.abs(sentenceCount(c) - ends) * Math.max(20, target / 2));
    if (cost < bestCost) {
      best = c;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Text of about `target` characters: the nearest candidate, then more joined while that
 * brings it closer. Given `ends` (the customer text's sentence ends), texts are joined only
 * up to that many sentences: joining short corpus texts to reach a length made challenges
 * hold more sentences than customer texts of that length (bench:por: sentence ends alone
 * AUC 0.81 on batches).
 */
function textOfLength(prng: Prng, pool: readonly string[], target: number, fallback: () => string, max: number, ends?: number): string {
  let text = nearest(prng, pool, target, ends) ?? fallback();
  for (let i = 0; i < 64 && text.length < target; i++) {
    const left = ends === undefined ? undefined : ends - sentenceCount(text);
    if (left !== undefined && left < 1) break;
    const more = nearest(prng, pool, target - text.length - 1, left) ?? fallback();
    if (Math.abs(text.length + 1 + more.length - target) >= Math.abs(text.length - target)) break;
    text = `${text} ${more}`;
  }
  return text.length > max ? text.slice(0, max).replace(/\s+\S*$/, "") : text;
}

function renderTexts(shape: EncoderShape, content: ChallengeContent, prng: Prng): RenderedChallenge {
  const lengths = shape.lengths.slice(0, LIMITS.textsMaxItems);
  const texts = (lengths.length ? lengths : [72]).map((l, i) =>
    textOfLength(prng, content.sentences, Math.max(1, l), () => sentence(prng), LIMITS.textMaxChars, shape.sentences?.[i]),
  );
  const source = content.sentences.length > 0 ? "corpus" : "fallback";
  return { input: shape.form === "texts" ? { texts } : { text: texts[0] }, source };
}

async function renderPage(shape: OcrShape, content: ChallengeContent, prng: Prng): Promise<RenderedChallenge> {
  const width = clamp(Math.round(shape.width), LIMITS.imageMinSidePx, LIMITS.imageMaxSidePx);
  const height = clamp(Math.round(shape.height), LIMITS.imageMinSidePx, LIMITS.imageMaxSidePx);
  const boxes = shape.lines.length > 0 ? shape.lines : defaultLayout(prng);
  const font = prng.pick(FONTS);
  const mono = font.includes("Mono");
  const tint = shape.chroma > 4 ? prng.int(0, 2) : -1;
  const grey = (l: number, t: number) => {
    const v = clamp(Math.round(l), 0, 255);
    const c = [v, v, v];
    if (tint >= 0) c[tint] = clamp(v + Math.round(t), 0, 255);
    return `rgb(${c.join(",")})`;
  };
  const paper = grey(shape.paperLuma, shape.chroma);
  const ink = grey(shape.inkLuma, -shape.chroma / 2);
  const texts: string[] = [];
  for (const [x0, y0, x1, y1] of boxes) {
    const boxH = (y1 - y0) * height;
    const boxW = (x1 - x0) * width;
    if (boxH < 6 || boxW < 6) continue;
    // A detected box is the text's height padded by the detector's unclip (~1.25 × the font size).
    const fontSize = Math.max(6, Math.round(boxH / 1.25));
    const chars = Math.max(1, Math.round(boxW / (fontSize * (mono ? 0.6 : 0.52))));
    const line = textOfLength(prng, content.lines, chars, () => documentLine(prng), 120);
    const baseline = y0 * height + (boxH + fontSize * 0.72) / 2;
    texts.push(
      `<text x="${(x0 * width + fontSize * 0.15).toFixed(1)}" y="${baseline.toFixed(1)}" font-family="${font}" font-size="${fontSize}" fill="${ink}">${escapeXml(line)}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${paper}"/>${texts.join("")}</svg>`;
  let raster = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (shape.noise > 0.3) {
    // Scan or sensor noise at the traffic's level: the sum of two uniforms, σ = noise.
    const a = (shape.noise * Math.sqrt(6)) / 2;
    const px = raster.data;
    for (let i = 0; i < px.length; i++)
      px[i] = clamp(Math.round((px[i] as number) + (prng.nextFloat() + prng.nextFloat() - 1) * a), 0, 255);
    raster = { data: px, info: raster.info };
  }
  const image = () => {
    const s = sharp(raster.data, { raw: { width: raster.info.width, height: raster.info.height, channels: raster.info.channels } });
    return shape.hasAlpha ? s.ensureAlpha() : s;
  };
  const target = shape.bytesPerPixel * width * height;
  let best: Buffer | undefined;
  if (shape.format === "png") best = await image().png().toBuffer();
  else {
    // The quality whose size is nearest the traffic's bytes per pixel.
    for (const quality of [92, 82, 70, 55]) {
      const b = shape.format === "jpeg" ? await image().jpeg({ quality }).toBuffer() : await image().webp({ quality }).toBuffer();
      if (!best || Math.abs(b.length - target) < Math.abs(best.length - target)) best = b;
    }
  }
  return { input: { image: (best as Buffer).toString("base64") }, source: content.lines.length > 0 ? "corpus" : "fallback" };
}

function defaultLayout(prng: Prng): [number, number, number, number][] {
  const n = prng.int(3, 8);
  const h = 0.6 / n;
  return Array.from(
    { length: n },
    (_, i) => [0.05, 0.1 + i * (h * 1.4), prng.float(0.4, 0.95, 3), 0.1 + i * (h * 1.4) + h * 0.8] as [number, number, number, number],
  );
}

function renderAudio(shape: VadShape, content: ChallengeContent, prng: Prng): RenderedChallenge {
  const total = Math.round(clamp(shape.durationSec, 0.1, LIMITS.audioMaxSeconds) * WAV_SAMPLE_RATE);
  const mix = new Float64Array(total);
  const room = (content.room ?? []).filter((r) => r.length >= 1_600);
  if (room.length > 0) {
    // The background of real recordings (donated stretches without speech), joined with
    // 10 ms cross-fades and scaled to the traffic's noise floor: synthetic noise has a
    // spectrum no room has (measured: white noise alone let the adversary tell VAD
    // challenges apart with AUC 1.0).
    const fade = 160;
    let at = 0;
    for (let k = 0; k < 10_000 && at < total; k++) {
      const clip = prng.pick(room);
      let sq = 0;
      for (const v of clip) sq += (v / 32_768) ** 2;
      const gain = Math.max(shape.noiseRms, 1e-5) / Math.max(1e-6, Math.sqrt(sq / clip.length));
      const start = at === 0 ? 0 : at - fade;
      for (let i = 0; i < clip.length && start + i < total; i++) {
        const w = at > 0 && i < fade ? i / fade : 1;
        const tail = i >= clip.length - fade ? (clip.length - i) / fade : 1;
        mix[start + i] =
          (mix[start + i] as number) + ((clip[i] as number) / 32_768) * gain * Math.min(w, tail === 1 ? 1 : Math.max(tail, 0));
      }
      at = start + clip.length;
    }
  } else {
    // No donated background yet: uniform noise with the traffic's RMS (a = rms·√3).
    const a = Math.max(shape.noiseRms, 1e-5) * Math.sqrt(3);
    for (let i = 0; i < total; i++) mix[i] = (prng.nextFloat() * 2 - 1) * a;
  }
  const clips = content.speech.length > 0 ? content.speech : [speechFixtureSamples()];
  const segments =
    shape.speech.length > 0
      ? shape.speech
      : [{ start: Math.min(0.5, shape.durationSec / 4), end: Math.max(0.6, shape.durationSec * 0.75) }];
  const peakTarget = clamp(shape.peak, 0.05, 0.99);
  const ramp = Math.round(0.01 * WAV_SAMPLE_RATE);
  for (const seg of segments) {
    const from = Math.round(seg.start * WAV_SAMPLE_RATE);
    const to = Math.min(total, Math.round(seg.end * WAV_SAMPLE_RATE));
    if (to - from < ramp * 2) continue;
    // Clips joined until the segment is full, cut at its end with a 10 ms fade each side.
    const piece = new Float64Array(to - from);
    let at = 0;
    let peak = 0;
    for (let k = 0; k < 32 && at < piece.length; k++) {
      const clip = prng.pick(clips);
      for (let i = 0; i < clip.length && at < piece.length; i++, at++) {
        const v = (clip[i] as number) / 32_768;
        piece[at] = v;
        if (Math.abs(v) > peak) peak = Math.abs(v);
      }
    }
    const gain = peak > 0 ? peakTarget / peak : 1;
    for (let i = 0; i < piece.length; i++) {
      const env = Math.min(1, (i + 1) / ramp, (piece.length - i) / ramp);
      mix[from + i] = (mix[from + i] as number) + (piece[i] as number) * gain * env;
    }
  }
  const pcm = new Int16Array(total);
  for (let i = 0; i < total; i++) pcm[i] = clamp(Math.round((mix[i] as number) * 32_768), -32_768, 32_767);
  return { input: { audio: encodeWavPcm16(pcm).toString("base64") }, source: content.speech.length > 0 ? "corpus" : "fallback" };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
