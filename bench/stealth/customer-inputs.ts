import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeWavPcm16 } from "@proofgrid/models/wav-encode";
import { parseWavHeader, readWavSamples } from "@proofgrid/models/audio/wav";
import sharp from "sharp";

// What the benchmark's customers send, made independently of the platform's challenge
// renderer: pages of several kinds (receipts, letters, slides, labels) in several fonts,
// tones, noise levels, rotations and formats; speech recorded with espeak-ng (voices,
// speeds, pitches) between pauses over background noise; texts and batches of real
// sentences. Randomness from Math.random: every run is different traffic.

const rnd = (a: number, b: number) => a + Math.random() * (b - a);
const irnd = (a: number, b: number) => Math.floor(rnd(a, b + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A batch or a single text, the way an embedding customer sends them. */
export function customerText(sentences: readonly string[], habit: "single" | "paragraph" | "batch"): unknown {
  if (habit === "single") return { text: pick(sentences) };
  if (habit === "paragraph")
    return {
      text: Array.from({ length: irnd(2, 4) }, () => pick(sentences))
        .join(" ")
        .slice(0, 1_900),
    };
  return { texts: Array.from({ length: irnd(2, 16) }, () => pick(sentences)) };
}

/** Words of `sentences` wrapped into lines of at most `chars` characters. */
function wrap(sentences: readonly string[], chars: number, lines: number): string[] {
  const words = Array.from({ length: 6 }, () => pick(sentences))
    .join(" ")
    .split(" ");
  const out: string[] = [];
  let cur = "";
  for (const w of words) {
    if ((cur + w).length > chars && cur) {
      out.push(cur.trim());
      cur = "";
      if (out.length >= lines) break;
    }
    cur += `${w} `;
  }
  if (out.length < lines && cur.trim()) out.push(cur.trim());
  return out;
}

const KINDS = ["receipt", "letter", "slide", "label", "screenshot"] as const;

/** A page a customer would OCR, as base64. */
export async function customerPage(sentences: readonly string[]): Promise<unknown> {
  const kind = pick(KINDS);
  let width: number;
  let height: number;
  let font: string;
  let size: number;
  let paper: string;
  let ink: string;
  switch (kind) {
    case "receipt":
      width = irnd(360, 520);
      height = irnd(600, 1100);
      font = pick(["DejaVu Sans Mono", "Liberation Mono"]);
      size = irnd(14, 20);
      paper = pick(["#ffffff", "#f7f5ef", "#f2f2f2"]);
      ink = pick(["#111111", "#222222", "#3a3a3a"]);
      break;
    case "letter":
      width = irnd(800, 1100);
      height = irnd(1000, 1450);
      font = pick(["DejaVu Serif", "Liberation Serif", "DejaVu Sans", "Liberation Sans"]);
      size = irnd(18, 28);
      paper = pick(["#ffffff", "#fbfaf6", "#f4f1e8"]);
      ink = pick(["#000000", "#1a1a2e", "#202020"]);
      break;
    case "slide":
      width = pick([1280, 1024, 1600]);
      height = Math.round((width * 9) / 16);
      font = pick(["DejaVu Sans", "Liberation Sans"]);
      size = irnd(32, 56);
      paper = pick(["#ffffff", "#eef3f8", "#fdf6e3", "#f0f0f0"]);
      ink = pick(["#000000", "#1f2d3d", "#073642", "#333333"]);
      break;
    case "label":
      width = irnd(500, 800);
      height = irnd(160, 300);
      font = pick(["DejaVu Sans", "Liberation Sans", "DejaVu Sans Mono"]);
      size = irnd(26, 40);
      paper = pick(["#ffffff", "#fffbe6", "#e8f4ff"]);
      ink = pick(["#000000", "#102040"]);
      break;
    default:
      width = pick([1366, 1440, 1920, 800]);
      height = pick([768, 900, 1080, 600]);
      font = pick(["DejaVu Sans", "Liberation Sans"]);
      size = irnd(14, 22);
      paper = pick(["#ffffff", "#fafafa", "#1e1e1e"]);
      ink = paper === "#1e1e1e" ? "#d4d4d4" : pick(["#24292e", "#000000"]);
  }
  const lineHeight = Math.round(size * rnd(1.3, 1.8));
  const margin = irnd(12, 60);
  const maxLines = Math.max(1, Math.floor((height - 2 * margin) / lineHeight));
  const lines = wrap(sentences, Math.max(8, Math.floor((width - 2 * margin) / (size * 0.55))), Math.min(maxLines, irnd(2, 24)));
  const texts = lines
    .map(
      (l, i) =>
        `<text x="${margin}" y="${margin + size + i * lineHeight}" font-family="${font}" font-size="${size}" fill="${ink}">${esc(l)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${paper}"/>${texts}</svg>`;
  let img = sharp(Buffer.from(svg));
  // Photographed pages: a slight tilt and sensor noise.
  if (kind !== "screenshot" && kind !== "slide" && Math.random() < 0.3)
    img = sharp(await img.rotate(rnd(-2, 2), { background: paper }).png().toBuffer());
  let raw = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (kind !== "screenshot" && Math.random() < 0.4) {
    const sigma = rnd(1, 7);
    for (let i = 0; i < raw.data.length; i++)
      raw.data[i] = Math.max(
        0,
        Math.min(255, Math.round((raw.data[i] as number) + (Math.random() + Math.random() + Math.random() - 1.5) * sigma * 2)),
      );
    raw = { data: raw.data, info: raw.info };
  }
  const base = sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels } });
  const r = Math.random();
  const bytes =
    kind === "screenshot" || r < 0.45
      ? await base.png().toBuffer()
      : r < 0.85
        ? await base.jpeg({ quality: irnd(60, 95) }).toBuffer()
        : await base.webp({ quality: irnd(60, 90) }).toBuffer();
  return { image: bytes.toString("base64") };
}

/** Speech clips recorded with espeak-ng at 16 kHz (voices, speeds, pitches), made once per run. */
export function recordSpeech(sentences: readonly string[], count: number): Int16Array[] {
  // Each failed clip is skipped below; a missing program would fail them all, so say which.
  for (const program of ["espeak-ng", "sox"])
    try {
      execFileSync(program, ["--version"], { stdio: "ignore" });
    } catch {
      throw new Error(`the stealth bench records speech with espeak-ng and sox: ${program} is missing (apt-get install -y espeak-ng sox)`);
    }
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-speech-"));
  const clips: Int16Array[] = [];
  try {
    // A sentence espeak-ng reads as an option ("-" first) or renders as nothing is skipped.
    for (let i = 0; clips.length < count && i < count * 4; i++) {
      const raw = join(dir, `${i}.wav`);
      const out = join(dir, `${i}-16k.wav`);
      const voice = pick(["en-us", "en", "en-gb-x-rp", "en+f3", "en+m3", "en-us+f2"]);
      const text = pick(sentences)
        .slice(0, 160)
        .replace(/^[\s-]+/, "");
      try {
        execFileSync("espeak-ng", ["-v", voice, "-s", String(irnd(130, 190)), "-p", String(irnd(30, 70)), "-w", raw, text], {
          stdio: "ignore",
        });
        execFileSync("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", out], { stdio: "ignore" });
      } catch {
        continue;
      }
      const file = readFileSync(out);
      const x = readWavSamples(file, parseWavHeader(file));
      if (x.length > 1_600) clips.push(Int16Array.from(x, (v) => Math.round(v * 32_767)));
    }
    if (clips.length < count) throw new Error(`espeak-ng made ${clips.length} of ${count} speech clips`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return clips;
}

/** A recording for voice activity detection: pauses, one to three utterances, room noise. */
export function customerAudio(clips: readonly Int16Array[]): unknown {
  const rate = 16_000;
  const parts: (Int16Array | number)[] = [rnd(0.2, 2)];
  for (let i = 0, n = irnd(1, 3); i < n; i++) parts.push(pick(clips), rnd(0.3, 2.5));
  const total = parts.reduce<number>((a, p) => a + (typeof p === "number" ? Math.round(p * rate) : p.length), 0);
  const out = new Float64Array(total);
  const noise = rnd(0.0003, 0.01);
  const hum = Math.random() < 0.3 ? rnd(0.001, 0.005) : 0;
  let prev = 0;
  for (let i = 0; i < total; i++) {
    // Room noise: white noise through a one-pole low-pass, plus mains hum now and then.
    prev = 0.7 * prev + 0.3 * (Math.random() * 2 - 1);
    out[i] = prev * noise * 2.2 + hum * Math.sin((2 * Math.PI * 50 * i) / rate);
  }
  const gain = rnd(0.3, 1);
  let at = 0;
  for (const p of parts) {
    if (typeof p === "number") at += Math.round(p * rate);
    else {
      for (let i = 0; i < p.length; i++) out[at + i] = (out[at + i] as number) + ((p[i] as number) / 32_768) * gain;
      at += p.length;
    }
  }
  const pcm = Int16Array.from(out, (v) => Math.max(-32_768, Math.min(32_767, Math.round(v * 32_768))));
  return { audio: encodeWavPcm16(pcm, rate).toString("base64") };
}
