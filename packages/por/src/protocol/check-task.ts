import { z } from "zod";
import { canonicalJson } from "../crypto/canonical-json.ts";
import { sign, verify } from "../crypto/ed25519.ts";
import { median, SECONDS_PER_HOUR } from "../pricing/compute-units.ts";
import { ZCustomModelRun } from "./custom-model-run.ts";

// The node protocol's check messages, shared by the platform and the checker daemon.
//
// A task never says why it exists: a sampled customer job, a dispute's third execution and
// a planted wrong result (which checks the checker) all arrive as "reexecution"; capability
// challenges, standby checks, latency probes and canaries all arrive as "challenge", with
// seeds instead of inputs so the checker rebuilds the inputs itself.

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const ZCheckTaskItem = z.object({
  /** The job whose result is checked. */
  ref: z.uuid(),
  modelSlug: z.string().min(1),
  /** Re-execution: the job's input. */
  input: z.unknown().optional(),
  /** Challenge: the item seed; the checker renders the input from it (por challenges). */
  seed: z.string().optional(),
  /** How the seed becomes an input: a realistic challenge (default), or a capability
   * challenge of the benchmark's exact shape (the models package's capabilityInput). */
  generator: z.enum(["challenge", "capability"]).optional(),
  /** The result the subject delivered. */
  output: z.unknown(),
  costMilliCu: z.number().min(0),
  /** Time charged to the subject for the job, ms: its receipt's inference time, never less
   * than the platform-measured lease-to-result time minus a protocol allowance. */
  wallMs: z.number().min(0).optional(),
  /** Set for a customer's uploaded model (issue 17): what re-running it takes besides the file. */
  custom: ZCustomModelRun.optional(),
});
export type CheckTaskItem = z.infer<typeof ZCheckTaskItem>;

export const ZCheckTask = z.object({
  checkId: z.uuid(),
  /** Fencing token: a report for an older attempt is refused. */
  attempt: z.number().int().min(1),
  kind: z.enum(["reexecution", "challenge"]),
  items: z.array(ZCheckTaskItem),
  /** Set for capability challenges: what the subject claims, to measure against. Zero for a
   * node registered before claims were recorded (the column's default). */
  claimedCuPerHour: z.number().min(0).optional(),
  leaseMs: z.number().int().positive(),
});
export type CheckTask = z.infer<typeof ZCheckTask>;

export const ZCheckReportItem = z.object({
  ref: z.uuid(),
  /** The checker's own verdict for this item (the platform recomputes it). */
  match: z.boolean(),
  reason: z.string().max(100),
  metrics: z.record(z.string().max(60), z.number()).refine((m) => Object.keys(m).length <= 32, "too many metrics"),
  /** The checker's own output: evidence for disputes. */
  output: z.unknown(),
  outputHash: z.string().regex(SHA256_HEX),
  inferenceMs: z.number().min(0).max(86_400_000),
});
export type CheckReportItem = z.infer<typeof ZCheckReportItem>;

/** POST /api/node/checks/report: the checker's signed verdicts. */
export const ZCheckReport = z.object({
  checkId: z.uuid(),
  attempt: z.number().int().min(1).max(1_000),
  items: z.array(ZCheckReportItem).min(1).max(32),
  measuredCuPerHour: z.number().min(0).max(1e9).optional(),
  /** ed25519 over checkReportMessage(report), by the checker's node key. */
  signature: z.string().min(16).max(200),
});
export type CheckReport = z.infer<typeof ZCheckReport>;

/** What a checker signs: the verdicts and output hashes, canonical JSON. */
export function checkReportMessage(report: Omit<CheckReport, "signature">): string {
  return canonicalJson({
    v: 1,
    checkId: report.checkId,
    attempt: report.attempt,
    items: report.items.map((i) => ({ ref: i.ref, match: i.match, outputHash: i.outputHash })),
    measuredCuPerHour: report.measuredCuPerHour ?? null,
  });
}

export function signCheckReport(report: Omit<CheckReport, "signature">, privateKey: string): CheckReport {
  return { ...report, signature: sign(privateKey, checkReportMessage(report)) };
}

export function verifyCheckReport(report: CheckReport, publicKey: string): boolean {
  return verify(publicKey, checkReportMessage(report), report.signature);
}

/**
 * Capability actually delivered on timed jobs, scored the way the capability benchmark scores
 * a machine (`scoreBenchmark`): per model, its median cost and the median time that jobs of
 * that model take per unit of cost, then
 *
 *   CU/h = 3600 × Σ median cost / Σ (median cost × median(time / cost))
 *
 * (cost in milli-CU, time in ms). When a model's jobs all cost the same — as capability
 * challenges do — that is the median cost over the median time, exactly the benchmark's
 * score. Taking each job's own rate keeps a stalled expensive job from hiding behind a cheap
 * one's time. One slow job — a GC pause, a database fsync, a neighbour taking the CPU for
 * 300 ms — moves a median of three or more by nothing, where it moved a plain Σcost/Σtime by
 * up to a third (measured on CI: 4 rounds of ~220 ms each). The platform sets the times
 * (CheckTaskItem.wallMs), so a worker can look faster only by the protocol allowance per job,
 * and only by being fast on most of its jobs of each model.
 */
export function deliveredCuPerHour(items: readonly { modelSlug: string; costMilliCu: number; wallMs: number }[]): number {
  if (items.length === 0) throw new RangeError("no timed items");
  const byModel = new Map<string, { costs: number[]; msPerCost: number[] }>();
  for (const i of items) {
    if (!(Number.isFinite(i.costMilliCu) && i.costMilliCu > 0)) throw new RangeError(`costMilliCu must be > 0, got ${i.costMilliCu}`);
    if (!(Number.isFinite(i.wallMs) && i.wallMs > 0)) throw new RangeError(`wallMs must be > 0, got ${i.wallMs}`);
    const g = byModel.get(i.modelSlug) ?? { costs: [], msPerCost: [] };
    g.costs.push(i.costMilliCu);
    g.msPerCost.push(i.wallMs / i.costMilliCu);
    byModel.set(i.modelSlug, g);
  }
  let cost = 0;
  let wall = 0;
  for (const g of byModel.values()) {
    const c = median(g.costs);
    cost += c;
    wall += c * median(g.msPerCost);
  }
  return (cost / wall) * SECONDS_PER_HOUR;
}

/**
 * The capability a node is credited with after a capability challenge: its claim when it
 * delivers within `tolerance` of it (a benchmark is noisy; do not punish noise), otherwise
 * what it delivered. Never more than claimed: delivering more than you claim earns nothing.
 */
export function deratedCapability(options: { claimed: number; delivered: number; tolerance?: number }): number {
  const { claimed, delivered } = options;
  const tolerance = options.tolerance ?? 0.1;
  if (!(claimed > 0 && Number.isFinite(claimed))) throw new RangeError(`claimed must be > 0, got ${claimed}`);
  if (!(delivered >= 0 && Number.isFinite(delivered))) throw new RangeError(`delivered must be ≥ 0, got ${delivered}`);
  if (!(tolerance >= 0 && tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${tolerance}`);
  return delivered >= claimed * (1 - tolerance) ? claimed : delivered;
}
