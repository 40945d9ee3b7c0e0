import { loadNodeCapability, loadRegistrationMeasurements } from "@proofgrid/db/nodes/capability-evidence";
import { sql } from "@proofgrid/db/sql-client";
import { median } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { isNodeId } from "../market/ask-price.ts";
import type { CapabilityDecision, ChallengeTiming } from "../verification/check-tasks.ts";

/** Registration measurements shown; a node has one or two, more only if re-registered checks pile up. */
const MAX_MEASUREMENTS = 10;

export interface CapabilityMeasurement {
  checkId: string;
  status: string;
  verdict: string | null;
  openedAt: string;
  finishedAt: string | null;
  measuredCuPerHour: number | null;
  /** Per model: the timed jobs' median time and cost, as deliveredCuPerHour scores them. */
  perModel: { model: string; timedJobs: number; medianChargedMs: number; medianCostMilliCu: number }[];
  jobs: ChallengeTiming[];
  decision: CapabilityDecision | null;
}

export interface CapabilityEvidence {
  nodeId: string;
  claimedCuPerHour: number;
  creditedCuPerHour: number;
  admission: string;
  /** Share of its machine's CPU other processes used, from its last heartbeat. */
  machineBusy: number | null;
  idleSince: string | null;
  /** Set while a measurement under the claim waits to be repeated. */
  remeasureAfter: string | null;
  measurements: CapabilityMeasurement[];
}

/**
 * The evidence behind a worker's credited capability, for its provider: each registration
 * measurement with every timed job (receipt time, the platform's lease-to-result time, what
 * was charged), the per-model medians, and the decision with its reason. Another
 * provider's node is NOT_FOUND, like a missing one.
 */
export async function getCapabilityEvidence(opts: { orgId: string; nodeId: string }): Promise<CapabilityEvidence> {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "node not found");
  const node = await loadNodeCapability(sql(), { orgId: opts.orgId, nodeId: opts.nodeId });
  if (!node) throw new AppError("NOT_FOUND", "node not found");
  const checks = await loadRegistrationMeasurements<{ timings?: ChallengeTiming[]; capability?: CapabilityDecision }>(sql(), {
    nodeId: node.id,
    limit: MAX_MEASUREMENTS,
  });
  return {
    nodeId: node.id,
    claimedCuPerHour: node.claimed,
    creditedCuPerHour: node.credited,
    admission: node.admission,
    machineBusy: node.machine_busy,
    idleSince: node.idle_since?.toISOString() ?? null,
    remeasureAfter: node.remeasure_after?.toISOString() ?? null,
    measurements: checks.map((c) => {
      const jobs = c.evidence?.timings ?? [];
      const byModel = new Map<string, ChallengeTiming[]>();
      for (const j of jobs) if (j.timed && j.chargedMs !== null) byModel.set(j.model, [...(byModel.get(j.model) ?? []), j]);
      return {
        checkId: c.id,
        status: c.status,
        verdict: c.verdict,
        openedAt: c.created_at.toISOString(),
        finishedAt: c.finished_at?.toISOString() ?? null,
        measuredCuPerHour: c.measured,
        perModel: [...byModel].map(([model, js]) => ({
          model,
          timedJobs: js.length,
          medianChargedMs: Math.round(median(js.map((j) => j.chargedMs ?? 0)) * 10) / 10,
          medianCostMilliCu: median(js.map((j) => j.costMilliCu)),
        })),
        jobs,
        decision: c.evidence?.capability ?? null,
      };
    }),
  };
}
