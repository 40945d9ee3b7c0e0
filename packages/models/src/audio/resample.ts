/**
 * Band-limited sample-rate conversion: each output sample is the input convolved with a
 * Kaiser-windowed sinc low-pass at the lower of the two Nyquist frequencies (so a 44.1 kHz
 * recording loses what 16 kHz cannot hold instead of folding it back as aliases). The filter
 * is tabulated at PHASES sub-sample positions once per rate pair, so the loop is only
 * multiply-adds: ~16 k outputs × (2 × ZEROS × ratio) taps a second of audio.
 *
 * Written here because the packages at hand measured 20–60 ms per second of 44.1 kHz audio
 * on this project's 2-core machine under load (wave-resampler's sinc and cubic, libsamplerate's
 * wasm SINC_FASTEST), too slow for the web process; this measured 6–12 ms on the same machine
 * at the same time. `resampleAsync` gives the event loop a turn between blocks of output.
 */

/** Zero crossings of the sinc on each side: the filter's half-length in output-rate samples. */
const ZEROS = 8;
/** Sub-sample positions the filter is tabulated at (quantisation error ≈ −50 dB). */
const PHASES = 256;
/** Kaiser window β: ≈ 60 dB of stop-band attenuation. */
const BETA = 6;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

const tables = new Map<string, { taps: number; h: Float32Array }>();

function filterFor(inRate: number, outRate: number): { taps: number; h: Float32Array } {
  const key = `${inRate}:${outRate}`;
  const cached = tables.get(key);
  if (cached) return cached;
  // Cut-off relative to the input rate: half the lower rate, 0.95 of it to leave a transition.
  const cutoff = (0.5 * Math.min(inRate, outRate)) / inRate;
  const half = Math.ceil(ZEROS / (2 * cutoff));
  const taps = 2 * half;
  const h = new Float32Array(PHASES * taps);
  const i0b = besselI0(BETA);
  const fc = 0.95 * cutoff;
  for (let p = 0; p < PHASES; p++) {
    const frac = p / PHASES;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      // Tap k sits at input offset (k - half + 1) from floor(t); its distance to t is x.
      const x = k - half + 1 - frac;
      const w = Math.abs(x) >= half ? 0 : besselI0(BETA * Math.sqrt(1 - (x / half) ** 2)) / i0b;
      const s = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      h[p * taps + k] = s * w;
      sum += s * w;
    }
    // Unit gain at DC for every phase.
    for (let k = 0; k < taps; k++) h[p * taps + k] = (h[p * taps + k] as number) / sum;
  }
  const filter = { taps, h };
  tables.set(key, filter);
  return filter;
}

/** `samples` at `inRate` Hz as `round(n × outRate / inRate)` samples at `outRate` Hz. */
export function resample(samples: ArrayLike<number>, inRate: number, outRate: number): Float32Array {
  const out = outputFor(samples.length, inRate, outRate);
  fill(samples, inRate, outRate, out, 0, out.length);
  return out;
}

/** As `resample`, yielding to the event loop after every `block` output samples. */
export async function resampleAsync(samples: ArrayLike<number>, inRate: number, outRate: number, block = 16_000): Promise<Float32Array> {
  const out = outputFor(samples.length, inRate, outRate);
  for (let j = 0; j < out.length; j += block) {
    fill(samples, inRate, outRate, out, j, Math.min(out.length, j + block));
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

function outputFor(n: number, inRate: number, outRate: number): Float32Array {
  if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
    throw new RangeError(`sample rates must be positive integers (got ${inRate} → ${outRate})`);
  }
  return new Float32Array(Math.round((n * outRate) / inRate));
}

function fill(samples: ArrayLike<number>, inRate: number, outRate: number, out: Float32Array, from: number, to: number): void {
  const n = samples.length;
  if (inRate === outRate) {
    for (let i = from; i < to; i++) out[i] = samples[i] as number;
    return;
  }
  const { taps, h } = filterFor(inRate, outRate);
  const half = taps / 2;
  const step = inRate / outRate;
  for (let j = from; j < to; j++) {
    const t = j * step;
    let base = Math.floor(t);
    let phase = Math.round((t - base) * PHASES);
    if (phase === PHASES) {
      base++;
      phase = 0;
    }
    const row = phase * taps;
    const first = base - half + 1;
    let acc = 0;
    if (first >= 0 && first + taps <= n) {
      for (let k = 0; k < taps; k++) acc += (samples[first + k] as number) * (h[row + k] as number);
    } else {
      // The edges: samples outside the signal are zero.
      for (let k = 0; k < taps; k++) {
        const i = first + k;
        if (i >= 0 && i < n) acc += (samples[i] as number) * (h[row + k] as number);
      }
    }
    out[j] = acc;
  }
}
