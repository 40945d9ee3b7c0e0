import type { OutputKind } from "../compare/compare-job-outputs.ts";
import { createPrng } from "./prng.ts";

// A planted check shows a checker a result that is wrong on purpose, to catch a checker
// that approves without computing. The change must be clearly outside every tolerance
// (compare/compare-job-outputs) yet look like a plausible model output: a misread word, a
// shifted speech boundary, a drifted embedding — not garbage a lazy checker could spot by
// shape alone.

type Kind = OutputKind;

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
