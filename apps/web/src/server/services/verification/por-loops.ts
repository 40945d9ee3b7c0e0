import { randomInt } from "node:crypto";
import { failAbandonedChallengeCheck, loadWaitingChallengeChecks, queueWaitingCheck } from "@proofgrid/db/challenges/challenge-checks";
import { clearRemeasureAfter, loadRegistrationSubjects, loadStandbySubjects } from "@proofgrid/db/challenges/challenge-subjects";
import { countCheckerWork, lockCheckerPoolBalance } from "@proofgrid/db/checks/checker-rewards";
import { countEpochChecks, countEpochJobs, countEpochSlashes } from "@proofgrid/db/checks/epoch-counts";
import { insertEpoch, isEpochClosed } from "@proofgrid/db/checks/epochs";
import { countRecentReexecutionChecks, drawVerifiedCustomerJob, insertPlantedCheck } from "@proofgrid/db/checks/planted-checks";
import type { Db } from "@proofgrid/db/db-types";
import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { type OutputKind, plantWrongOutput } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { challengeModels, openChallengeCheck, submitChallengeJob } from "./challenge-jobs.ts";
import { deferToTraffic } from "./challenge-schedule.ts";
import { epochOf, getPorConfig } from "./por-config.ts";

// The coordinator's Proof-of-Render loops. Each is idempotent and safe to re-run after a
// crash: state lives in the checks table, and every ledger move has an idempotency key.

/**
 * New workers get a capability challenge (sequential, timed jobs) — not the moment they
 * register, when their machine is often still busy (`npm start` runs the build and the
 * checker's benchmark then), but once their heartbeats say the machine has been idle for
 * POR_REGISTRATION_IDLE_MS, or after POR_REGISTRATION_MAX_WAIT_MS however busy it says it
 * is. A measurement under the claim is repeated the same way after remeasure_after.
 */
export async function admitNewNodes(): Promise<number> {
  const config = getPorConfig();
  if (!config.challenges) return 0;
  const rows = await loadRegistrationSubjects(sql(), {
    registrationIdleMs: config.registrationIdleMs,
    registrationMaxWaitMs: config.registrationMaxWaitMs,
  });
  for (const n of rows) {
    await clearRemeasureAfter(sql(), { nodeId: n.id });
    await openChallengeCheck({
      node: { id: n.id, orgId: n.org_id, models: n.models },
      kind: "registration",
      planned: config.registrationJobs,
    });
  }
  return rows.length;
}

/**
 * Moves challenge checks along: the next job of a registration check once the previous
 * finished; ready for a checker once all are done; failed when the subject ran none.
 */
export async function advanceChallenges(): Promise<number> {
  const rows = await loadWaitingChallengeChecks(sql());
  let moved = 0;
  for (const c of rows) {
    if (c.open > 0) continue;
    if (c.total < c.planned_jobs && c.succeeded === c.total) {
      const models = await challengeModels(sql(), c.models);
      const model = models[c.total % Math.max(1, models.length)];
      if (model) {
        await submitChallengeJob({
          checkId: c.id,
          seed: c.seed,
          index: c.total,
          nodeId: c.subject_node_id,
          model,
          capability: c.kind === "registration",
        });
        moved++;
        continue;
      }
    }
    if (c.succeeded === 0) {
      // The subject failed or abandoned every challenge job: that is a failed check (not
      // fraud — a broken machine looks the same), and no checker is needed to say so.
      await sqlTransaction(async (tx) => {
        const { recordNodeVerdict } = await import("./standing.ts");
        const n = await failAbandonedChallengeCheck(tx, { checkId: c.id });
        if (n === 0) return;
        await recordNodeVerdict(tx, {
          nodeId: c.subject_node_id,
          checkId: c.id,
          role: "worker",
          verdict: "fail",
          reason: `${c.kind}: challenge jobs failed`,
        });
      });
    } else {
      await queueWaitingCheck(sql(), { checkId: c.id });
    }
    moved++;
  }
  return moved;
}

/**
 * Planted checks test the checkers: a recently verified job shown with a deliberately
 * wrong result, indistinguishable from a sampled re-execution. A checker that computes
 * rejects it; one that approves without computing is caught. One planted per this many
 * re-executions on average (POR_PLANTED_RATE).
 */
export async function plantChecks(opts: { sinceMs: number }): Promise<number> {
  const { plantedRate } = getPorConfig();
  if (plantedRate <= 0) return 0;
  const recent = await countRecentReexecutionChecks(sql(), { sinceMs: opts.sinceMs });
  let count = 0;
  for (let i = 0; i < recent; i++) if (Math.random() < plantedRate) count++;
  let planted = 0;
  for (let i = 0; i < count; i++) {
    const j = await drawVerifiedCustomerJob(sql());
    if (!j || j.node_id === null) break;
    // An uploaded model's job (kind `tensor`) is planted with drifted tensors (issue 17).
    const wrong = plantWrongOutput(j.kind as OutputKind | "tensor", j.output, randomInt(2 ** 31));
    // Nothing to change (empty tensors): not planted, never shown a "wrong" output equal to the truth.
    if (wrong === null) continue;
    await insertPlantedCheck(sql(), {
      subjectNodeId: j.node_id,
      subjectOrgId: j.node_org,
      jobId: j.id,
      modelId: j.model_id,
      plantedOutput: wrong,
      epoch: epochOf(Date.now()),
    });
    planted++;
  }
  return planted;
}

/**
 * Standby checks: each epoch, a share of the online workers drawn at random with weights
 * that grow with the time since each was last checked (Efraimidis–Spirakis keys), so
 * nobody goes unchecked for long and nobody can predict being next.
 */
export async function scheduleStandbyChecks(): Promise<number> {
  const config = getPorConfig();
  if (!config.challenges) return 0;
  const rows = await loadStandbySubjects(sql());
  if (rows.length === 0) return 0;
  const k = Math.max(1, Math.ceil(rows.length * config.standbyShare));
  const keyed = rows
    .map((r) => ({ r, key: Math.random() ** (1 / (1 + Number(r.idle_ms) / config.epochMs)) }))
    .sort((a, b) => b.key - a.key)
    .slice(0, k);
  for (const { r } of keyed) {
    // Every other pick is a latency probe: one timed job measured against the claim. Each
    // waits for the worker's next customer lease (or a random moment of the epoch if none
    // comes), so a check does not arrive at the epoch's turn.
    const kind = Math.random() < 0.5 ? "standby" : "latency";
    deferToTraffic({ id: r.id, orgId: r.org_id, models: r.models }, kind, Date.now() + randomInt(0, config.epochMs));
  }
  return keyed.length;
}

/**
 * Closes an epoch: its statistics (jobs, checks, mismatches, slashes, the realised
 * re-check rate) and the checker pool paid out to the checkers in proportion to the
 * checks they completed. Idempotent: the row and the payout transfers are keyed by epoch.
 */
export async function closeEpoch(epoch: number): Promise<void> {
  const { epochMs } = getPorConfig();
  const startsAt = new Date(epoch * epochMs);
  const endsAt = new Date((epoch + 1) * epochMs);
  await sqlTransaction(async (tx) => {
    if (await isEpochClosed(tx, { epoch })) return;
    const jobs = await countEpochJobs(tx, { startsAt, endsAt });
    const checks = await countEpochChecks(tx, { startsAt, endsAt });
    const slashes = await countEpochSlashes(tx, { startsAt, endsAt });
    const customer = jobs?.customer ?? 0;
    const reexecuted = checks?.reexecuted ?? 0;
    const rewards = await payCheckers(tx, epoch, startsAt, endsAt);
    await insertEpoch(tx, {
      row: {
        id: epoch,
        starts_at: startsAt,
        ends_at: endsAt,
        customer_jobs: customer,
        challenge_jobs: jobs?.challenge ?? 0,
        checks_run: checks?.run ?? 0,
        passes: checks?.passes ?? 0,
        mismatches: checks?.mismatches ?? 0,
        frauds: checks?.frauds ?? 0,
        slashes: slashes?.n ?? 0,
        slashed_amount: BigInt(slashes?.amount ?? 0n),
        refunds: slashes?.refunds ?? 0,
        reexecuted,
        recheck_rate: customer > 0 ? reexecuted / customer : 0,
        checker_rewards: rewards,
      },
    });
  });
  logger.info({ epoch }, "epoch closed");
}

async function payCheckers(tx: Db, epoch: number, startsAt: Date, endsAt: Date): Promise<bigint> {
  const total = await lockCheckerPoolBalance(tx, { code: SYSTEM_ACCOUNTS.checkerPool.code });
  const work = await countCheckerWork(tx, { startsAt, endsAt });
  const checksDone = work.reduce((a, w) => a + w.n, 0);
  if (total <= 0n || checksDone === 0) return 0n;
  let paid = 0n;
  // At most 15 providers per transfer (16 legs with the pool's).
  for (let i = 0; i < work.length; i += 15) {
    const chunk = work.slice(i, i + 15);
    const legs = chunk
      .map((w) => ({ code: orgAccountCode(w.org_id, "earnings"), amount: (total * BigInt(w.n)) / BigInt(checksDone) }))
      .filter((l) => l.amount > 0n);
    const sum = legs.reduce((a, l) => a + l.amount, 0n);
    if (sum === 0n) continue;
    await postTransfer(tx, {
      idempotencyKey: `checker-rewards:${epoch}:${i}`,
      kind: "checker_reward",
      legs: [{ code: SYSTEM_ACCOUNTS.checkerPool.code, amount: -sum }, ...legs],
    });
    paid += sum;
  }
  return paid;
}
