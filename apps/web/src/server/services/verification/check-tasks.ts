import type { Db } from "@proofgrid/db/db-types";
import { sql } from "@proofgrid/db/sql-client";
import type { CheckTask, CheckTaskItem } from "@proofgrid/por";
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

export interface CheckRow {
  id: string;
  kind: string;
  status: string;
  subject_node_id: string;
  subject_org_id: string;
  checker_node_id: string | null;
  job_id: string | null;
  parent_check_id: string | null;
  model_id: string;
  seed: string | null;
  planned_jobs: number;
  attempt: number;
  evidence: CheckEvidence | null;
  planted_output: unknown;
  verdict: string | null;
}

export interface CheckEvidence {
  /** Challenge job id → item seed. */
  seeds?: Record<string, string>;
  /** Dispute: the items the first checker disagreed on. */
  refs?: string[];
  items?: { ref: string; match: boolean; reason: string; metrics: Record<string, number>; checkerOutput: unknown; checkerOutputHash: string; inferenceMs: number }[];
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
  const rows = lock
    ? await db.$queryRaw<CheckRow[]>`
        SELECT id, kind::text AS kind, status::text AS status, subject_node_id, subject_org_id, checker_node_id, job_id, parent_check_id,
               model_id, seed, planned_jobs, attempt, evidence, planted_output, verdict::text AS verdict
        FROM checks WHERE id = ${id}::uuid FOR UPDATE`
    : await db.$queryRaw<CheckRow[]>`
        SELECT id, kind::text AS kind, status::text AS status, subject_node_id, subject_org_id, checker_node_id, job_id, parent_check_id,
               model_id, seed, planned_jobs, attempt, evidence, planted_output, verdict::text AS verdict
        FROM checks WHERE id = ${id}::uuid`;
  return rows[0] ?? null;
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
    const rows = await db.$queryRaw<
      { id: string; slug: string; input: unknown; output: unknown; cost_milli_cu: number; wall_ms: number | null; receipt_ms: number | null; lease_ms: number | null; claimed: number }[]
    >`
      SELECT j.id, m.slug, p.input, p.output, j.cost_milli_cu, n.claimed_cu_per_hour AS claimed, t.receipt_ms, t.lease_ms,
             greatest(coalesce(t.receipt_ms, 0), t.lease_ms - ${PROTOCOL_ALLOWANCE_MS})::float8 AS wall_ms
      FROM jobs j JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id JOIN nodes n ON n.id = j.pinned_node_id
      LEFT JOIN LATERAL (
        SELECT a.inference_ms::float8 AS receipt_ms, (extract(epoch FROM (a.finished_at - a.leased_at)) * 1000)::float8 AS lease_ms
        FROM job_attempts a WHERE a.job_id = j.id AND a.outcome = 'succeeded' LIMIT 1
      ) t ON true
      WHERE j.check_id = ${base.id}::uuid AND j.state = 'succeeded' ORDER BY j.created_at`;
    const wanted = check.kind === "dispute" ? new Set(check.evidence?.refs ?? []) : null;
    const seeds = base.evidence?.seeds ?? {};
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
        };
      })
      .filter((r) => !wanted || wanted.has(r.ref));
    const timedKind = base.kind === "registration" || base.kind === "latency";
    return { kind: "challenge", items, claimed: timedKind && check.kind !== "dispute" ? rows[0]?.claimed : undefined, timings };
  }
  const rows = await db.$queryRaw<{ id: string; slug: string; input: unknown; output: unknown; cost_milli_cu: number }[]>`
    SELECT j.id, m.slug, p.input, p.output, j.cost_milli_cu FROM jobs j JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id
    WHERE j.id = ${check.job_id}::uuid`;
  const r = rows[0];
  if (!r) throw new Error(`check ${check.id}: job missing`);
  // A planted check shows the wrong output it was built with; everything else shows the truth.
  const output = check.kind === "planted" ? check.planted_output : r.output;
  return { kind: "reexecution", items: [{ ref: r.id, modelSlug: r.slug, input: r.input, output, costMilliCu: r.cost_milli_cu }] };
}

async function assertLicensedChecker(node: NodeIdentity): Promise<void> {
  if (node.role !== "checker") throw new AppError("FORBIDDEN", "only checker nodes lease checks; this node is a worker");
  if (node.status === "quarantined") throw new AppError("FORBIDDEN", "node is quarantined");
  const lic = await sql().$queryRaw<{ id: string }[]>`
    SELECT id FROM checker_licences WHERE node_id = ${node.id}::uuid AND revoked_at IS NULL`;
  if (lic.length === 0) throw new AppError("FORBIDDEN", "no active checker licence for this node");
  if (getPorConfig().stakeRequired) {
    const s = await stakeStatus(sql(), node.id, node.cuPerHour);
    if (!s.sufficient) throw new AppError(
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
    const rows = await sql().$queryRaw<{ id: string }[]>`
      WITH next AS (
        SELECT c.id FROM checks c
        WHERE c.status = 'queued' AND c.model_id = ANY(${opts.node.models}::text[]) AND c.subject_org_id <> ${opts.node.orgId}::uuid
          AND c.subject_node_id <> ${opts.node.id}::uuid
          -- A checker whose report on this check was refused does not get it again.
          AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.node_id = ${opts.node.id}::uuid AND v.role = 'checker')
          AND (c.kind <> 'dispute' OR NOT EXISTS (
            SELECT 1 FROM checks p JOIN nodes pn ON pn.id = p.checker_node_id
            WHERE p.id = c.parent_check_id AND (p.checker_node_id = ${opts.node.id}::uuid OR pn.org_id = ${opts.node.orgId}::uuid)))
        ORDER BY c.created_at LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      UPDATE checks c SET status = 'leased', checker_node_id = ${opts.node.id}::uuid, attempt = c.attempt + 1, leased_at = now(),
        lease_expires_at = now() + ${config.checkLeaseMs} * interval '1 millisecond'
      FROM next WHERE c.id = next.id RETURNING c.id`;
    const id = rows[0]?.id;
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
  const n = await sql().$executeRaw`
    UPDATE checks SET status = 'queued', checker_node_id = NULL, lease_expires_at = NULL
    WHERE status = 'leased' AND lease_expires_at < now()`;
  return Number(n);
}
