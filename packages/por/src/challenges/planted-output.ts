import type { OutputKind } from "../compare/compare-job-outputs.ts";
import { createPrng } from "./prng.ts";

// A planted check shows a checker a result that is wrong on purpose, to catch a checker
// that approves without computing. The change must be clearly outside every tolerance
// (compare/compare-job-outputs) yet look like a plausible model output: a misread word, a
// shifted speech boundary, a drifted embedding — not garbage a lazy checker could spot by
// shape alone.

/** The catalog's output kinds, and `tensor`: an uploaded model's `{ outputs: [tensor, ...] }` (issue 17). */
type Kind = OutputKind | "tensor";

const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

export function plantWrongOutput(kind: Kind, output: unknown, seed: number): unknown {
  const prng = createPrng(`planted-${seed >>> 0}-0000000000`);
  const copy = structuredClone(output) as Record<string, unknown>;
  switch (kind) {
    case "ocr": {
      const lines = Array.isArray(copy.lines) ? (copy.lines as { text: string }[]) : [];
      const line = lines.length > 0 ? lines[prng.int(0, lines.length - 1)] : undefined;
      if (!line || typeof line.text !== "string" || line.text.length === 0) {
        copy.lines = [
          ...lines,
          {
            text: "total 4417",
            confidence: 0.93,
            box: [
              [10, 10],
              [120, 10],
              [120, 40],
              [10, 40],
            ],
          },
        ];
        return copy;
      }
      // Replace one character with a different one: a single misread.
      const at = prng.int(0, line.text.length - 1);
      const old = line.text[at] ?? "";
      let next = old;
      while (next.toLowerCase() === old.toLowerCase()) next = LETTERS[prng.int(0, LETTERS.length - 1)] ?? "x";
      line.text = line.text.slice(0, at) + next + line.text.slice(at + 1);
      return copy;
    }
    case "vad": {
      const segments = Array.isArray(copy.segments) ? (copy.segments as { start: number; end: number }[]) : [];
      const duration = typeof copy.durationSec === "number" ? copy.durationSec : 10;
      if (segments.length === 0) {
        copy.segments = [{ start: Math.min(1, duration / 4), end: Math.min(duration, duration / 4 + 1.5) }];
        return copy;
      }
      // Move one boundary by 0.5–1 s: far beyond the boundary tolerance (16 ms, one VAD window).
      const s = segments[prng.int(0, segments.length - 1)] as { start: number; end: number };
      const shift = 0.5 + prng.nextFloat() * 0.5;
      if (s.end - s.start > shift + 0.2) s.end = Math.round((s.end - shift) * 1000) / 1000;
      else s.end = Math.round(Math.min(duration, s.end + shift) * 1000) / 1000;
      return copy;
    }
    case "tensor":
      return plantWrongTensors(copy, prng);
    case "embedding": {
      const vectors = Array.isArray(copy.vectors) ? (copy.vectors as number[][]) : [];
      // Drift every vector by noise of 20 % of its norm: cosine ≈ 0.98, well under tolerance.
      copy.vectors = vectors.map((v) => {
        const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
        const scale = (0.2 * norm) / Math.sqrt(v.length || 1);
        return v.map((x) => x + (prng.nextFloat() * 2 - 1) * scale * Math.sqrt(3));
      });
      return copy;
    }
  }
}

interface TensorLike {
  name?: unknown;
  datatype?: unknown;
  shape?: unknown;
  data?: unknown;
}

/** Integer datatypes' ranges, for a changed element that stays a value of its type. */
const INT_RANGE: Record<string, [number, number]> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * An uploaded model's outputs, wrong the way a cheaper model would be wrong: a float output
 * drifted by 5 % of each value plus 0.01 on a tenth of its elements (at least one) — twenty
 * times the non-deterministic tolerance (atol 1e-3, rtol 1e-2), with the shape, datatype and
 * magnitudes of the real output — else an integer output's element moved by one (an argmax
 * off by one class), else a boolean flipped. The output that is changed is drawn among those
 * with elements, so a checker cannot compare only the first.
 */
function plantWrongTensors(copy: Record<string, unknown>, prng: ReturnType<typeof createPrng>): unknown {
  const outputs = Array.isArray(copy.outputs) ? (copy.outputs as TensorLike[]) : [];
  const usable = outputs.filter((t) => Array.isArray(t.data) && (t.data as unknown[]).length > 0);
  const floats = usable.filter((t) => t.datatype === "FP32" || t.datatype === "FP64");
  const pool = floats.length > 0 ? floats : usable;
  const t = pool.length > 0 ? pool[prng.int(0, pool.length - 1)] : undefined;
  if (!t) return copy;
  const data = t.data as (number | boolean)[];
  if (t.datatype === "FP32" || t.datatype === "FP64") {
    const n = Math.max(1, Math.round(data.length / 10));
    for (let k = 0; k < n; k++) {
      const i = prng.int(0, data.length - 1);
      const v = data[i] as number;
      const drift = (0.05 * Math.abs(v) + 0.01) * (prng.nextFloat() < 0.5 ? -1 : 1);
      data[i] = t.datatype === "FP32" ? Math.fround(v + drift) : v + drift;
    }
    return copy;
  }
  const i = prng.int(0, data.length - 1);
  if (t.datatype === "BOOL") {
    data[i] = !data[i];
    return copy;
  }
  const [lo, hi] = INT_RANGE[String(t.datatype)] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  const v = data[i] as number;
  data[i] = v + 1 <= hi ? v + 1 : Math.max(lo, v - 1);
  return copy;
}
