import { loadChallengeItemRows, loadJobItemRow } from "@proofgrid/db/checks/check-items";
import { leaseNextCheck, sweepExpiredCheckLeases } from "@proofgrid/db/checks/check-leases";
import { type CheckRow as CheckTableRow, loadCheckRow } from "@proofgrid/db/checks/check-rows";
import { hasActiveCheckerLicence } from "@proofgrid/db/checks/checker-licences";
import type { Db } from "@proofgrid/db/db-types";
import { sql } from "@proofgrid/db/sql-client";
import { type CheckTask, type CheckTaskItem, type CustomModelRun, isCustomModelSlug } from "@proofgrid/por";
import { loadCustomModelRun } from "../models/custom-model-run.ts";
import { AppError } from "../../errors.ts";
import { formatTokens } from "../billing/tokens.ts";
import type { NodeIdentity } from "../nodes/authenticate-node.ts";
import { getPorConfig } from "./por-config.ts";
import { stakeStatus } from "./stake.ts";

/**
 * The time a challenge job is charged to its subject: the inference time it reported in its
 * signed receipt, but never less than the platform's own lease-to-result time minus this
 * allowance for the protocol round trip. Measured: wall time alone credited an honest worker
 * with 57 % of its benchmark on a fast, quiet machine (the 10–40 ms round trip is large next to
 * a 15 ms VAD job); with the receipt, a worker that over-claims but reports its real timings is
 * credited what it computes, and one that also lies in its receipts gains at most 60 ms a job
 * (25 ms under-credited a fast machine: its protocol round trip exceeds a 12 ms VAD job).
 */
const PROTOCOL_ALLOWANCE_MS = 60;

const CHALLENGE_KINDS = new Set(["registration", "standby", "latency", "canary"]);

/** A row of `checks` with its evidence typed as the verification services write it. */
export type CheckRow = CheckTableRow<CheckEvidence>;

export interface CheckEvidence {
  /** Challenge job id → item seed. */
  seeds?: Record<string, string>;
  /** Dispute: the items the first checker disagreed on. */
  refs?: string[];
  items?: {
    ref: string;
    match: boolean;
    reason: string;
    metrics: Record<string, number>;
    checkerOutput: unknown;
    checkerOutputHash: string;
    inferenceMs: number;
  }[];
  measuredCuPerHour?: number;
  creditedCuPerHour?: number;
  claimedCuPerHour?: number;
  /** Capability checks: each job as the platform timed it, and how the claim was decided. */
  timings?: ChallengeTiming[];
  capability?: CapabilityDecision;
  resolution?: string;
  /** Who settled a dispute: an independent checker, or the platform's executor of last resort. */
  executor?: "checker" | "platform";
  /** The re-check rate a sampled job got (sample-job.ts). */
  rate?: number;
  /** An audit check's fraud case. */
  caseId?: string;
}

/** One challenge job's timing, shown to the provider as the evidence of a capability decision. */
export interface ChallengeTiming {
  jobId: string;
  model: string;
  costMilliCu: number;
  /** Inference time in the worker's signed receipt, ms. */
  receiptMs: number | null;
  /** The platform's own lease-to-result time, ms. */
  leaseMs: number | null;
  /** What the job was charged: the receipt's time, never less than lease-to-result minus the allowance. */
  chargedMs: number | null;
  /** The first job of each model warms it up and is not timed. */
  timed: boolean;
  /** Share of the machine's CPU other processes used, from the heartbeat before the result. */
  machineBusy: number | null;
}

export interface CapabilityDecision {
  decision: "passed" | "remeasure" | "derated" | "refused";
  claimed: number;
  /** This measurement and, for a second one, the first: CU/h delivered. */
  measurements: { checkId: string; measured: number }[];
  credited: number;
  reason: string;
}

export async function loadCheck(db: Db, id: string, lock = false): Promise<CheckRow | null> {
  return loadCheckRow<CheckEvidence>(db, { id, lock });
}

/** The check whose items a task re-runs: a dispute re-runs its parent's (the mismatched ones). */
export function isChallengeCheck(kind: string): boolean {
  return CHALLENGE_KINDS.has(kind);
}

/**
 * The items of a check as a checker sees them. Customer jobs carry their input; challenge
 * jobs carry only their seed, and the checker renders the input itself — so a tampered
 * input would show as a mismatch, and the platform need not ship images twice.
 */
export async function checkItems(
  db: Db,
  check: CheckRow,
): Promise<{ kind: "reexecution" | "challenge"; items: CheckTaskItem[]; claimed?: number; timings?: ChallengeTiming[] }> {
  const base = check.kind === "dispute" && check.parent_check_id ? await loadCheck(db, check.parent_check_id) : check;
  if (!base) throw new Error(`check ${check.id}: parent missing`);
  if (isChallengeCheck(base.kind)) {
    const rows = await loadChallengeItemRows(db, { checkId: base.id, protocolAllowanceMs: PROTOCOL_ALLOWANCE_MS });
    const wanted = check.kind === "dispute" ? new Set(check.evidence?.refs ?? []) : null;
    const seeds = base.evidence?.seeds ?? {};
    // A challenge on an uploaded model (issue 17) carries what re-running it takes besides
    // the file, as a sampled job of one does: the checker verifies it the same way.
    const customRuns = new Map<string, CustomModelRun>();
    for (const r of rows) {
      if (!isCustomModelSlug(r.slug) || customRuns.has(r.model_id)) continue;
      const run = await loadCustomModelRun(r.model_id);
      if (run) customRuns.set(r.model_id, run);
    }
    // The first job of each model on a node pays for loading the model: it is checked but
    // not timed, so capability is measured warm, as the benchmark measures it.
    const warmed = new Set<string>();
    const timings: ChallengeTiming[] = [];
    const items = rows
      .map((r) => {
        const timed = warmed.has(r.slug);
        warmed.add(r.slug);
        timings.push({
          jobId: r.id,
          model: r.slug,
          costMilliCu: r.cost_milli_cu,
          receiptMs: r.receipt_ms === null ? null : Math.round(r.receipt_ms * 10) / 10,
          leaseMs: r.lease_ms === null ? null : Math.round(r.lease_ms),
          chargedMs: r.wall_ms === null ? null : Math.round(r.wall_ms * 10) / 10,
          timed: timed || base.kind === "latency",
          machineBusy: null,
        });
        return {
          ref: r.id,
          modelSlug: r.slug,
          // Capability challenges are rebuilt from their seed (the benchmark's shapes, in a
          // public package: nothing to hide there). Every other challenge's input comes from
          // the platform's private corpus and is sent like a re-executed job's.
          ...(base.kind === "registration" ? { seed: seeds[r.id], generator: "capability" as const } : { input: r.input }),
          output: r.output,
          costMilliCu: r.cost_milli_cu,
          // A latency probe is one job, timed as the customer would see it, cold or not.
          wallMs: timed || base.kind === "latency" ? (r.wall_ms ?? undefined) : undefined,
          ...(customRuns.has(r.model_id) ? { custom: customRuns.get(r.model_id) } : {}),
        };
      })
      .filter((r) => !wanted || wanted.has(r.ref));
    const timedKind = base.kind === "registration" || base.kind === "latency";
    return { kind: "challenge", items, claimed: timedKind && check.kind !== "dispute" ? rows[0]?.claimed : undefined, timings };
  }
  const r = await loadJobItemRow(db, { jobId: check.job_id });
  if (!r) throw new Error(`check ${check.id}: job missing`);
  // A planted check shows the wrong output it was built with; everything else shows the truth.
  const output = check.kind === "planted" ? check.planted_output : r.output;
  // An uploaded model (issue 17): the checker fetches the file by its id and needs the rest.
  const custom = isCustomModelSlug(r.slug) ? await loadCustomModelRun(r.model_id) : null;
  return {
    kind: "reexecution",
    items: [{ ref: r.id, modelSlug: r.slug, input: r.input, output, costMilliCu: r.cost_milli_cu, ...(custom ? { custom } : {}) }],
  };
}

async function assertLicensedChecker(node: NodeIdentity): Promise<void> {
  if (node.role !== "checker") throw new AppError("FORBIDDEN", "only checker nodes lease checks; this node is a worker");
  if (node.status === "quarantined") throw new AppError("FORBIDDEN", "node is quarantined");
  const licensed = await hasActiveCheckerLicence(sql(), { nodeId: node.id });
  if (!licensed) throw new AppError("FORBIDDEN", "no active checker licence for this node");
  if (getPorConfig().stakeRequired) {
    const s = await stakeStatus(sql(), node.id, node.cuPerHour);
    if (!s.sufficient)
      throw new AppError(
        "FORBIDDEN",
        `stake below the minimum: ${formatTokens(s.bonded)} tokens bonded, ${formatTokens(s.required)} required (stake more on the node's page or POST /api/v1/nodes/${node.id}/stake)`,
        { bonded: s.bonded.toString(), required: s.required.toString() },
      );
  }
}

/**
 * Leases the oldest check this checker may do: a model it runs, a subject of another
 * provider, and for a dispute neither the first checker nor its provider (an independent
 * third executor). Claimed with SKIP LOCKED and a fencing attempt, like jobs.
 */
export async function leaseCheck(opts: { node: NodeIdentity; waitMs: number; signal?: AbortSignal }): Promise<CheckTask | null> {
  await assertLicensedChecker(opts.node);
  const config = getPorConfig();
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    const { node } = opts;
    const id = await leaseNextCheck(sql(), {
      nodeId: node.id,
      orgId: node.orgId,
      models: node.models,
      acceptsCustomModels: node.acceptsCustomModels,
      leaseMs: config.checkLeaseMs,
    });
    if (id) {
      const check = await loadCheck(sql(), id);
      if (!check) continue;
      const { kind, items, claimed } = await checkItems(sql(), check);
      return { checkId: check.id, attempt: check.attempt, kind, items, claimedCuPerHour: claimed, leaseMs: config.checkLeaseMs };
    }
    const left = deadline - Date.now();
    if (left <= 0 || opts.signal?.aborted) return null;
    // Checks are few next to jobs: a short poll is cheaper than another NOTIFY channel.
    await new Promise((r) => setTimeout(r, Math.min(left, 250)));
  }
}

/** Hands expired check leases to the next checker (coordinator). */
export async function sweepCheckLeases(): Promise<number> {
  return sweepExpiredCheckLeases(sql());
}
