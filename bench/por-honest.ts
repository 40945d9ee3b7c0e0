/**
 * `npm run bench:por-honest [-- --pairs N --tampered-pairs M]`: are honest workers ever told
 * apart, and are dishonest ones caught? The evidence for por's JOB_OUTPUT_TOLERANCES (see
 * por-honest-lib.ts for what runs). JSON lines on stdout, a summary and progress on stderr.
 *
 * The default (3,000 honest pairs; 200 VAD, 100 encoder, 50 OCR pairs per tampered variant)
 * took 515 s on the 2-core development machine while other test runs shared it (load ~4):
 * 6.6 min honest, 1.9 min tampered. `--pairs 10000` took 25 min there.
 */
import { parseArgs } from "node:util";
import type { OutputKind } from "@proofgrid/por";
import { JOB_OUTPUT_TOLERANCES } from "@proofgrid/por";
import cliProgress from "cli-progress";
import {
  DEFAULT_TAMPERED_PAIRS,
  HONEST_CONFIGS,
  type HonestPairsProgress,
  type HonestPairsReport,
  leastDeviation,
  runHonestPairs,
  worstDeviation,
} from "./por-honest-lib.ts";
import { progress } from "./report.ts";

const DEFAULT_PAIRS = 3_000;
const KINDS: readonly OutputKind[] = ["vad", "embedding", "ocr"];

interface Line {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  note?: string;
}

/** One JSON line per figure. Not report.ts's report(): it rounds to 3 decimals, and these deviations are 1e-5 and smaller. */
function emit(line: Line): void {
  process.stdout.write(`${JSON.stringify({ ...line, value: Number(line.value.toPrecision(6)) })}\n`);
}

function parseOptions(): { pairs: number; tamperedPairs: number } {
  const { values } = parseArgs({
    options: { pairs: { type: "string" }, "tampered-pairs": { type: "string" } },
    strict: true,
  });
  const count = (raw: string | undefined, fallback: number, flag: string) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`--${flag} must be a positive integer, got ${raw}`);
    return n;
  };
  return {
    pairs: count(values.pairs, DEFAULT_PAIRS, "pairs"),
    tamperedPairs: count(values["tampered-pairs"], DEFAULT_TAMPERED_PAIRS.vad, "tampered-pairs"),
  };
}

function progressBar(): { update: (p: HonestPairsProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format: "{phase} |{bar}| {percentage}% {value}/{total} pairs | {duration_formatted} elapsed, ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 200,
      // Piped to a file (CI, nohup): a line every 15 s instead of nothing.
      noTTYOutput: true,
      notTTYSchedule: 15_000,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: string | undefined;
  return {
    update(p) {
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        bar.start(p.total, 0, { phase: p.phase.padEnd(8) });
      }
      bar.update(p.done, { phase: p.phase.padEnd(8) });
    },
    stop: () => bar.stop(),
  };
}

function reportHonest(result: HonestPairsReport): void {
  for (const kind of KINDS) {
    const stats = result.honest[kind];
    const note = `${stats.pairs} pairs: ${stats.inputs} challenge inputs × ${HONEST_CONFIGS.length} configurations, every pair compared`;
    emit({ name: `por_honest_${kind}_false_positives`, value: stats.mismatches, unit: "pairs", goal: "0", note });
    for (const [metric, value] of Object.entries(worstDeviation(kind, stats))) {
      emit({ name: `por_honest_${kind}_worst_${metric}`, value, unit: "", note: "worst over the honest pairs" });
    }
  }
}

function reportVariants(result: HonestPairsReport): void {
  for (const v of result.variants) {
    const rate = v.pairs === 0 ? 0 : v.mismatches / v.pairs;
    const name = `por_${v.variant.replace(/[^a-z0-9]+/gi, "_")}_${v.kind}`;
    if (v.honestVariant) {
      emit({
        name: `${name}_false_positive_rate`,
        value: rate,
        unit: "share",
        goal: "0",
        note: `${v.mismatches}/${v.pairs} pairs; ${v.description}`,
      });
      for (const [metric, value] of Object.entries(worstDeviation(v.kind, v))) emit({ name: `${name}_worst_${metric}`, value, unit: "" });
    } else {
      emit({
        name: `${name}_detection_rate`,
        value: rate,
        unit: "share",
        note: `${v.mismatches}/${v.pairs} pairs caught; ${v.description}`,
      });
      for (const [metric, value] of Object.entries(leastDeviation(v.kind, v))) emit({ name: `${name}_least_${metric}`, value, unit: "" });
    }
  }
}

function summarise(result: HonestPairsReport, seconds: number): void {
  // A cosine prints as its distance from 1: 0.9997741 at 3 digits would read "1".
  const fmt = (values: Record<string, number>) =>
    Object.entries(values)
      .map(([k, v]) => (k === "minCosine" ? `1 − minCosine ${Number((1 - v).toPrecision(3))}` : `${k} ${Number(v.toPrecision(3))}`))
      .join(", ");
  progress(`tolerances: ${JSON.stringify(JOB_OUTPUT_TOLERANCES)}`);
  progress(`honest configurations: ${HONEST_CONFIGS.map((c) => `${c.intraOpNumThreads}t/${c.graphOptimizationLevel}`).join(" ")}`);
  for (const kind of KINDS) {
    const s = result.honest[kind];
    progress(
      `honest ${kind.padEnd(9)} ${s.mismatches}/${s.pairs} false positives (${s.inputs} inputs); worst: ${fmt(worstDeviation(kind, s))}`,
    );
  }
  for (const v of result.variants) {
    const what = v.honestVariant ? "false positives" : "caught";
    const deviation = v.honestVariant ? `worst: ${fmt(worstDeviation(v.kind, v))}` : `least: ${fmt(leastDeviation(v.kind, v))}`;
    progress(`${v.variant.padEnd(12)} ${v.kind.padEnd(9)} ${v.mismatches}/${v.pairs} ${what}; ${deviation}; ${JSON.stringify(v.reasons)}`);
  }
  const g = result.groundTruth;
  progress(
    `ground truth: OCR ${g.ocrLinesExact}/${g.ocrLines} lines exact; VAD ${g.vadChallengesFound}/${g.vadChallenges} challenges found`,
  );
  progress(`done in ${seconds.toFixed(0)} s`);
}

async function main(): Promise<void> {
  const { pairs, tamperedPairs } = parseOptions();
  // --tampered-pairs sets VAD's count; the others keep their default proportion to it.
  const scale = (kind: OutputKind) => Math.max(1, Math.round((tamperedPairs * DEFAULT_TAMPERED_PAIRS[kind]) / DEFAULT_TAMPERED_PAIRS.vad));
  const tampered = { vad: tamperedPairs, embedding: scale("embedding"), ocr: scale("ocr") };
  progress(`${pairs} honest pairs (${HONEST_CONFIGS.length} configurations per input), tampered pairs ${JSON.stringify(tampered)}`);
  const bar = progressBar();
  let result: HonestPairsReport;
  try {
    result = await runHonestPairs({ pairs, tamperedPairs: tampered, onProgress: bar.update });
  } finally {
    bar.stop();
  }
  const seconds = result.elapsedMs / 1000;
  reportHonest(result);
  reportVariants(result);
  const g = result.groundTruth;
  emit({
    name: "por_ocr_ground_truth_lines_exact",
    value: g.ocrLinesExact / Math.max(1, g.ocrLines),
    unit: "share",
    note: `${g.ocrLinesExact}/${g.ocrLines}`,
  });
  emit({
    name: "por_vad_ground_truth_found",
    value: g.vadChallengesFound / Math.max(1, g.vadChallenges),
    unit: "share",
    note: `${g.vadChallengesFound}/${g.vadChallenges}`,
  });
  emit({ name: "por_honest_bench_runtime", value: seconds, unit: "s" });
  summarise(result, seconds);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
