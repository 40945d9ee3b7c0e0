import { closeCheckForDispute, finishCheck, requeueCheck, setCheckerSignature } from "@proofgrid/db/checks/check-results";
import { loadJobCharge, setChallengeJobsVerification, setJobVerification, sumChallengeJobPrices } from "@proofgrid/db/checks/checked-jobs";
import { insertDisputeCheck } from "@proofgrid/db/checks/dispute-checks";
import {
  listProbeOverheads,
  lockNodeReputation,
  updateNodeLocationEvidence,
  updateNodeReputation,
} from "@proofgrid/db/checks/latency-probes";
import {
  loadEarlierRegistrationMeasurement,
  markNodeAdmissionRefused,
  passNodeAdmission,
  passNodeAdmissionAtClaim,
  refuseNodeAtRegistration,
  scheduleNodeRemeasure,
  setNodeAdmission,
} from "@proofgrid/db/checks/node-admission";
import type { Db } from "@proofgrid/db/db-types";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import {
  type CheckReport,
  type CheckReportReply,
  type CheckTaskItem,
  deliveredCuPerHour,
  deratedCapability,
  hashJson,
  INITIAL_REPUTATION,
  type ReputationState,
  reputationScore,
  updateReputation,
  verifyCheckReport,
} from "@proofgrid/por";
import { compareModelOutputs } from "@proofgrid/models/custom/compare-model-outputs";
import { AppError } from "../../errors.ts";
import { getEnv } from "../../env.ts";
import { locationEvidence } from "../dispatch/location-check.ts";
import { regionLocation } from "../dispatch/network.ts";
import { logger } from "../../logger.ts";
import type { NodeIdentity } from "../nodes/authenticate-node.ts";
import { type ChallengeTiming, type CheckEvidence, type CheckRow, checkItems, isChallengeCheck, loadCheck } from "./check-tasks.ts";
import { epochOf, getPorConfig } from "./por-config.ts";
import { openFraudCase, resolveAuditJob } from "./fraud.ts";
import { recordNodeVerdict } from "./standing.ts";
import { assertStorableJson } from "../../http/safe-text.ts";

export type ItemVerdict = {
  ref: string;
  match: boolean;
  reason: string;
  metrics: Record<string, number>;
  checkerOutput: unknown;
  checkerOutputHash: string;
  inferenceMs: number;
};

/** How two outputs of one check item compare: by the catalog kind, or an uploaded model's tensors (issue 17). */
export type ItemCompare = (ref: string, a: unknown, b: unknown) => { match: boolean };

/** compareModelOutputs for each item of a task, by its ref (an unknown ref never matches). */
export function itemComparer(items: readonly CheckTaskItem[]): ItemCompare {
  const byRef = new Map(items.map((i) => [i.ref, i]));
  return (ref, a, b) => {
    const item = byRef.get(ref);
    return item ? compareModelOutputs({ slug: item.modelSlug, a, b, custom: item.custom }) : { match: false };
  };
}

/**
 * A checker's report. The platform does not take the checker's word for the verdict: it
 * recomputes every comparison from the checker's own output (por's compareJobOutputs, the
 * same code the checker ran), so a report whose claims do not follow from its evidence
 * counts against the checker. Then, per kind of check:
 * - planted: the shown output was wrong on purpose; a checker whose output matches it
 *   approved without computing — fraud, slashed;
 * - all items agree: the subject passes (a capability check also sets its credited CU/h);
 * - a mismatch: a dispute goes to a third, independent executor;
 * - a dispute: the majority of worker, first checker and third executor decides.
 */
export async function reportCheck(opts: { node: NodeIdentity; report: CheckReport }): Promise<CheckReportReply> {
  const { node, report } = opts;
  for (const item of report.items) {
    assertStorableJson(item.output, `item ${item.ref}: output`);
    if (hashJson(item.output) !== item.outputHash)
      throw new AppError("BAD_REQUEST", `item ${item.ref}: outputHash does not match the output`);
  }
  if (!verifyCheckReport(report, node.publicKey)) throw new AppError("BAD_REQUEST", "check report signature is invalid");

  const outcome = await sqlTransaction(async (tx) => {
    const check = await loadCheck(tx, report.checkId, true);
    if (!check) throw new AppError("NOT_FOUND", "check not found");
    if (check.status === "done" && check.checker_node_id === node.id && check.attempt === report.attempt)
      return { status: "already_reported" as const };
    if (check.status !== "leased" || check.checker_node_id !== node.id || check.attempt !== report.attempt) {
      throw new AppError("CONFLICT", `check lease lost: check is ${check.status} at attempt ${check.attempt}`);
    }
    const task = await checkItems(tx, check);
    const refs = new Set(task.items.map((i) => i.ref));
    if (report.items.length !== refs.size || !report.items.every((i) => refs.has(i.ref))) {
      throw new AppError("BAD_REQUEST", "report must cover exactly the task's items");
    }
    const verdicts: ItemVerdict[] = task.items.map((item) => {
      const mine = report.items.find((r) => r.ref === item.ref);
      if (!mine) throw new Error("unreachable");
      const cmp = compareModelOutputs({ slug: item.modelSlug, a: mine.output, b: item.output, custom: item.custom });
      return {
        ref: item.ref,
        match: cmp.match,
        reason: cmp.reason,
        metrics: cmp.metrics,
        checkerOutput: mine.output,
        checkerOutputHash: mine.outputHash,
        inferenceMs: mine.inferenceMs,
      };
    });
    const evidence: CheckEvidence = { ...(check.evidence ?? {}), items: verdicts };
    await setCheckerSignature(tx, { checkId: check.id, signature: report.signature });

    if (check.kind === "planted") {
      const approved = verdicts.some((v) => v.match);
      await finish(tx, check, approved ? "fraud" : "pass", evidence);
      await recordNodeVerdict(tx, {
        nodeId: node.id,
        checkId: check.id,
        role: "checker",
        verdict: approved ? "fraud" : "pass",
        reason: approved ? "approved a planted wrong result" : "rejected a planted wrong result",
      });
      if (approved) await openFraudCase(tx, { nodeId: node.id, checkId: check.id, job: null });
      return { status: "accepted" as const };
    }

    const honestReport = report.items.every((r) => verdicts.find((v) => v.ref === r.ref)?.match === r.match);
    if (!honestReport) {
      // The checker's claimed verdicts do not follow from its own outputs: count it against
      // the checker and give the check to another.
      await recordNodeVerdict(tx, {
        nodeId: node.id,
        checkId: check.id,
        role: "checker",
        verdict: "fail",
        reason: "report contradicts its own outputs",
      });
      await requeueCheck(tx, { checkId: check.id });
      return { status: "refused" as const };
    }

    if (check.kind === "dispute") {
      await resolveDispute(tx, check, verdicts, itemComparer(task.items));
      return { status: "accepted" as const };
    }
    if (check.kind === "audit") {
      // A result of a node already proven fraudulent: wrong is refunded from its case's pot,
      // right is verified. No further verdict on the node (it is quarantined for fraud).
      const v = verdicts[0];
      if (!v || !check.job_id) throw new Error(`audit check ${check.id} without its job`);
      await finish(tx, check, v.match ? "pass" : "fail", evidence);
      await resolveAuditJob(tx, { checkId: check.id, jobId: check.job_id, match: v.match });
      return { status: "accepted" as const };
    }
    const mismatched = verdicts.filter((v) => !v.match).map((v) => v.ref);
    if (mismatched.length === 0) {
      if (check.kind === "registration" || check.kind === "latency") applyCapability(evidence, task.items, task.claimed, task.timings);
      if (check.kind === "latency") {
        await recordLatency(tx, check.subject_node_id, task.items);
        await recordLocation(tx, check.id, check.subject_node_id);
      }
      // Before finish: the decision (and a first measurement's "remeasure") is part of the evidence.
      if (check.kind === "registration") await admit(tx, check.subject_node_id, check.id, evidence);
      await finish(tx, check, "pass", evidence);
      await recordNodeVerdict(tx, {
        nodeId: check.subject_node_id,
        checkId: check.id,
        role: "worker",
        verdict: "pass",
        reason: `${check.kind} check passed`,
      });
      await setVerification(tx, check, "verified");
      return { status: "accepted" as const };
    }
    // Disagreement: the result stands until a third executor decides.
    await openDispute(tx, check, evidence, mismatched);
    logger.warn(
      { checkId: check.id, kind: check.kind, subject: check.subject_node_id, mismatched: mismatched.length },
      "check mismatch: dispute opened",
    );
    return { status: "accepted" as const };
  });
  logger.info({ checkId: report.checkId, checker: node.id, status: outcome.status }, "check reported");
  return outcome;
}

/**
 * The executor of last resort (last-resort.ts) reports here, in its own transaction, with
 * verdicts it computed from its own re-execution: the platform is independent of every
 * provider, so it may settle any dispute. Only disputes, sampled re-executions and audits
 * reach it (never a planted check: those test checkers).
 */
export async function applyPlatformVerdicts(tx: Db, check: CheckRow, verdicts: ItemVerdict[], compare: ItemCompare): Promise<string> {
  const evidence: CheckEvidence = { ...(check.evidence ?? {}), items: verdicts, executor: "platform" };
  if (check.kind === "dispute") {
    await resolveDispute(tx, check, verdicts, compare, "platform");
    return "dispute settled";
  }
  if (check.kind === "audit") {
    const v = verdicts[0];
    if (!v || !check.job_id) throw new Error(`audit check ${check.id} without its job`);
    await finish(tx, check, v.match ? "pass" : "fail", evidence);
    await resolveAuditJob(tx, { checkId: check.id, jobId: check.job_id, match: v.match });
    return v.match ? "audit: right" : "audit: wrong, refunded";
  }
  if (check.kind !== "reexecution") throw new Error(`the platform does not execute ${check.kind} checks`);
  const mismatched = verdicts.filter((v) => !v.match).map((v) => v.ref);
  if (mismatched.length === 0) {
    await finish(tx, check, "pass", evidence);
    await recordNodeVerdict(tx, {
      nodeId: check.subject_node_id,
      checkId: check.id,
      role: "worker",
      verdict: "pass",
      reason: "re-execution passed (platform)",
    });
    await setVerification(tx, check, "verified");
    return "passed";
  }
  await openDispute(tx, check, evidence, mismatched);
  return "mismatch: dispute opened";
}

/** Disagreement: the check is done without a verdict, and a third executor decides the mismatched items. */
async function openDispute(tx: Db, check: CheckRow, evidence: CheckEvidence, mismatched: string[]) {
  await closeCheckForDispute(tx, { checkId: check.id, evidence });
  await insertDisputeCheck(tx, {
    parentCheckId: check.id,
    subjectNodeId: check.subject_node_id,
    subjectOrgId: check.subject_org_id,
    jobId: check.job_id,
    modelId: check.model_id,
    seed: check.seed,
    epoch: epochOf(Date.now()),
    refs: mismatched,
  });
  await setVerification(tx, check, "disputed");
}

async function finish(
  tx: Db,
  check: CheckRow,
  verdict: "pass" | "fail" | "fraud" | "inconclusive",
  evidence: CheckEvidence,
  measured?: number,
) {
  await finishCheck(tx, { checkId: check.id, verdict, evidence, measuredCuPerHour: measured ?? evidence.measuredCuPerHour ?? null });
}

/** Customer job (re-execution) or the challenge's jobs: what the customer sees. */
async function setVerification(tx: Db, check: CheckRow, status: "verified" | "disputed" | "inconclusive" | "refunded") {
  const base = check.kind === "dispute" && check.parent_check_id ? ((await loadCheck(tx, check.parent_check_id)) ?? check) : check;
  if (isChallengeCheck(base.kind)) {
    await setChallengeJobsVerification(tx, { checkId: base.id, status });
  } else if (base.job_id) {
    await setJobVerification(tx, { jobId: base.job_id, status });
  }
}

/** Capability from the platform's own timings of the subject (lease → result), never the
 * checker's or the worker's word: the claim if delivered within 10 %, else what it delivered.
 * Each job's timing goes into the evidence the provider sees. */
function applyCapability(
  evidence: CheckEvidence,
  items: readonly { modelSlug: string; costMilliCu: number; wallMs?: number }[],
  claimed: number | undefined,
  timings: ChallengeTiming[] | undefined,
) {
  if (timings) evidence.timings = timings;
  const timed = items.filter(
    (i): i is { modelSlug: string; costMilliCu: number; wallMs: number } => typeof i.wallMs === "number" && i.wallMs > 0,
  );
  if (timed.length === 0 || !claimed) return;
  const delivered = deliveredCuPerHour(timed);
  evidence.claimedCuPerHour = claimed;
  evidence.measuredCuPerHour = Math.round(delivered);
  evidence.creditedCuPerHour = Math.round(deratedCapability({ claimed, delivered }));
}

/** A latency probe's timing folds into the subject's reputation (its latency component:
 * speed against its own credited capability, por's latencyScore). */
async function recordLatency(tx: Db, nodeId: string, items: readonly { costMilliCu: number; wallMs?: number }[]) {
  const node = await lockNodeReputation<ReputationState>(tx, { nodeId });
  if (!node || node.cu_per_hour <= 0) return;
  let state = node.reputation ?? INITIAL_REPUTATION;
  for (const i of items) {
    if (typeof i.wallMs !== "number") continue;
    state = updateReputation(state, {
      kind: "job",
      outcome: "succeeded",
      latency: { costMilliCu: i.costMilliCu, claimedCuPerHour: node.cu_per_hour, observedMs: i.wallMs },
    });
  }
  await updateNodeReputation(tx, { nodeId, reputation: state, score: reputationScore(state) });
}

/**
 * A latency probe also tests the worker's declared location: the platform (in
 * PLATFORM_REGION) timed each probe job from lease to result, so the protocol overhead
 * (that time minus the receipt's inference time) holds at least one round trip. Faster than
 * light allows from the declared place → location_plausible = false, and the indexer then
 * charges the worker a long link delay until a probe agrees again.
 */
async function recordLocation(tx: Db, checkId: string, nodeId: string) {
  const rows = await listProbeOverheads(tx, { checkId });
  const first = rows[0];
  if (!first) return;
  const declared =
    first.latitude !== null && first.longitude !== null ? { lat: first.latitude, lon: first.longitude } : regionLocation(first.region);
  const e = locationEvidence({
    probe: regionLocation(getEnv().PLATFORM_REGION),
    declared,
    overheadsMs: rows.map((r) => Number(r.overhead_ms)),
  });
  if (!e) return;
  await updateNodeLocationEvidence(tx, { nodeId, measuredRttMs: e.measuredRttMs, plausible: e.plausible });
  if (!e.plausible) logger.warn({ nodeId, ...e }, "latency probe: declared location is impossible");
}

/**
 * Admission after a registration check. A measurement within 10 % of the claim admits the
 * node at its claim. One under it is never acted on alone: a machine busy for a minute (the
 * start of `npm start`, a build, a neighbour's benchmark) measures an honest worker low
 * (issue 12: 38 % of its claim), so the check is repeated at a later idle time, and the node
 * is derated — or refused under POR_REFUSE_BELOW — only if the second measurement falls
 * short too, to the better of the two. A slow worker cannot fake speed (every output is
 * checked), so the better of two honest measurements is still what it computes.
 */
async function admit(tx: Db, nodeId: string, checkId: string, evidence: CheckEvidence) {
  const { refuseBelow, remeasureAfterMs } = getPorConfig();
  const claimed = evidence.claimedCuPerHour;
  const measured = evidence.measuredCuPerHour;
  if (!claimed || measured === undefined) {
    await passNodeAdmission(tx, { nodeId });
    return;
  }
  const here = { checkId, measured };
  if (deratedCapability({ claimed, delivered: measured }) >= claimed) {
    evidence.capability = {
      decision: "passed",
      claimed,
      measurements: [here],
      credited: claimed,
      reason: "delivered within 10 % of the claim",
    };
    await passNodeAdmissionAtClaim(tx, { nodeId, cuPerHour: claimed });
    return;
  }
  const first = await loadEarlierRegistrationMeasurement(tx, { nodeId, checkId });
  if (!first) {
    evidence.capability = {
      decision: "remeasure",
      claimed,
      measurements: [here],
      credited: claimed,
      reason: `delivered ${Math.round((measured / claimed) * 100)} % of the claim: measured again at a later idle time before any derating`,
    };
    await scheduleNodeRemeasure(tx, { nodeId, afterMs: remeasureAfterMs });
    logger.info({ nodeId, claimed, measured }, "registration check under the claim: measuring again before derating");
    return;
  }
  const best = Math.max(first.measured, measured);
  const credited = Math.round(deratedCapability({ claimed, delivered: best }));
  const measurements = [{ checkId: first.id, measured: first.measured }, here];
  if (best < claimed * refuseBelow) {
    evidence.capability = {
      decision: "refused",
      claimed,
      measurements,
      credited: 0,
      reason: `both measurements under ${Math.round(refuseBelow * 100)} % of the claim`,
    };
    await refuseNodeAtRegistration(tx, { nodeId });
    logger.warn({ nodeId, claimed, measurements }, "registration refused: delivers far less than claimed");
    return;
  }
  const admission = credited < claimed ? "derated" : "passed";
  evidence.capability = {
    decision: admission,
    claimed,
    measurements,
    credited,
    reason:
      admission === "derated"
        ? "both measurements under 90 % of the claim: credited the better one"
        : "the second measurement delivered within 10 % of the claim",
  };
  evidence.creditedCuPerHour = credited;
  await setNodeAdmission(tx, { nodeId, admission, cuPerHour: Math.max(1, credited) });
  if (admission === "derated") logger.warn({ nodeId, claimed, credited, measurements }, "node derated to its delivered capability");
}

/**
 * Majority of three: the worker's output W, the first checker's C and the third executor's
 * T. T agrees with C but not W → the worker lied: fraud, slash, refund. T agrees with W
 * but not C → the first checker was wrong: it is penalised and the result stands.
 * Otherwise nobody can be shown wrong: inconclusive, no penalty.
 */
export async function resolveDispute(
  tx: Db,
  dispute: CheckRow,
  third: ItemVerdict[],
  compare: ItemCompare,
  executor: "checker" | "platform" = "checker",
) {
  const parent = dispute.parent_check_id ? await loadCheck(tx, dispute.parent_check_id, true) : null;
  if (!parent) throw new Error(`dispute ${dispute.id} has no parent`);
  const first = parent.evidence?.items ?? [];
  let workerWrong = 0;
  let checkerWrong = 0;
  for (const t of third) {
    const c = first.find((f) => f.ref === t.ref);
    const agreesWithChecker = c ? compare(t.ref, t.checkerOutput, c.checkerOutput).match : false;
    if (!t.match && agreesWithChecker) workerWrong++;
    else if (t.match && !agreesWithChecker) checkerWrong++;
  }
  const resolution = workerWrong > 0 ? "worker_fraud" : checkerWrong === third.length ? "checker_wrong" : "inconclusive";
  const evidence: CheckEvidence = { ...(dispute.evidence ?? {}), items: third, resolution, executor };
  await finish(tx, dispute, resolution === "worker_fraud" ? "fraud" : resolution === "checker_wrong" ? "pass" : "inconclusive", evidence);
  const parentEvidence = { ...(parent.evidence ?? {}), resolution };
  if (resolution === "worker_fraud") {
    await finish(tx, parent, "fraud", parentEvidence);
    await recordNodeVerdict(tx, {
      nodeId: parent.subject_node_id,
      checkId: parent.id,
      role: "worker",
      verdict: "fraud",
      reason: `${parent.kind}: wrong result confirmed by a third executor`,
    });
    const job = isChallengeCheck(parent.kind) ? null : await customerJob(tx, parent.job_id);
    // A challenge's own verification is "refunded" (the word for proven wrong); a customer
    // job's is set by the refund itself (fraud.ts), with its note.
    if (isChallengeCheck(parent.kind)) await setVerification(tx, parent, "refunded");
    const challengePrice = isChallengeCheck(parent.kind) ? await sumChallengeJobPrices(tx, { checkId: parent.id }) : undefined;
    await openFraudCase(tx, { nodeId: parent.subject_node_id, checkId: parent.id, job, challengePrice });
    if (parent.kind === "registration") await markNodeAdmissionRefused(tx, { nodeId: parent.subject_node_id });
  } else if (resolution === "checker_wrong") {
    await finish(tx, parent, "pass", parentEvidence);
    await recordNodeVerdict(tx, {
      nodeId: parent.subject_node_id,
      checkId: parent.id,
      role: "worker",
      verdict: "pass",
      reason: "cleared by a third executor",
    });
    if (parent.checker_node_id)
      await recordNodeVerdict(tx, {
        nodeId: parent.checker_node_id,
        checkId: parent.id,
        role: "checker",
        verdict: "fail",
        reason: "overturned by a third executor",
      });
    await setVerification(tx, parent, "verified");
  } else {
    await finish(tx, parent, "inconclusive", parentEvidence);
    await setVerification(tx, parent, "inconclusive");
  }
  logger.warn({ disputeId: dispute.id, parent: parent.id, subject: parent.subject_node_id, resolution }, "dispute resolved");
}

/** The customer job a fraud verdict proved wrong, as its fraud case refunds it. */
async function customerJob(tx: Db, jobId: string | null) {
  if (!jobId) return null;
  const r = await loadJobCharge(tx, { jobId });
  return r ? { id: r.id, orgId: r.org_id, price: BigInt(r.price) } : null;
}
