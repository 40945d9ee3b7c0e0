import { encodeWavPcm16 } from "@proofgrid/models/wav-encode";
import sharp from "sharp";

/**
 * Fixed, realistic inputs for the capability benchmark and for warming models: the same
 * bytes on every machine, so CU/h figures are comparable between workers.
 */
export async function benchmarkInputs(): Promise<Record<string, unknown>> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="160">
    <rect width="100%" height="100%" fill="white"/>
    <text x="20" y="60" font-family="DejaVu Sans, sans-serif" font-size="40" fill="black">PROOFGRID BENCHMARK</text>
    <text x="20" y="125" font-family="DejaVu Sans, sans-serif" font-size="40" fill="black">verified inference 2026</text>
  </svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return {
    "ocr-ppocr-v4": { image: png.toString("base64") },
    "vad-silero-v5": { audio: syntheticWav(4).toString("base64") },
    "encoder-synthetic-minilm": { text: "Proofgrid runs verified inference on independent GPUs around the world." },
  };
}

/** A 16 kHz mono PCM16 WAV of a voiced, amplitude-modulated tone (deterministic). */
export function syntheticWav(seconds: number): Buffer {
  const rate = 16_000;
  const samples = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) {
    const t = i / rate;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    const v =
      envelope * (0.4 * Math.sin(2 * Math.PI * 140 * t) + 0.2 * Math.sin(2 * Math.PI * 280 * t) + 0.1 * Math.sin(2 * Math.PI * 420 * t));
    samples[i] = Math.round(v * 20_000);
  }
  return encodeWavPcm16(samples, rate);
}
