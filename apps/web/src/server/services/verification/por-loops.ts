import { randomInt } from "node:crypto";
import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { type OutputKind, plantWrongOutput } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { challengeModels, openChallengeCheck, submitChallengeJob } from "./challenge-jobs.ts";
import { deferToTraffic } from "./challenge-schedule.ts";
import { epochOf, getPorConfig } from "./por-config.ts";

// The coordinator's Proof-of-Render loops. Each is idempotent and safe to re-run after a
// crash: state lives in the checks table, and every ledger move has an idempotency key.

interface WorkerRow {
  id: string;
  org_id: string;
  models: string[];
}

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
  const rows = await sql().$queryRaw<WorkerRow[]>`
    SELECT n.id, n.org_id, n.models FROM nodes n
    WHERE n.role = 'worker' AND n.admission = 'pending' AND n.status = 'online' AND n.paused_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind = 'registration' AND c.status IN ('waiting', 'queued', 'leased'))
      AND CASE
        WHEN NOT EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind = 'registration')
          THEN n.idle_since <= now() - ${config.registrationIdleMs} * interval '1 millisecond'
            OR n.created_at <= now() - ${config.registrationMaxWaitMs} * interval '1 millisecond'
        ELSE n.remeasure_after <= now() AND (n.idle_since <= now() - ${config.registrationIdleMs} * interval '1 millisecond'
            OR n.remeasure_after <= now() - ${config.registrationMaxWaitMs} * interval '1 millisecond')
      END
    LIMIT 20`;
  for (const n of rows) {
    await sql().$executeRaw`UPDATE nodes SET remeasure_after = NULL WHERE id = ${n.id}::uuid`;
    await openChallengeCheck({ node: { id: n.id, orgId: n.org_id, models: n.models }, kind: "registration", planned: config.registrationJobs });
  }
  return rows.length;
}

/**
 * Moves challenge checks along: the next job of a registration check once the previous
 * finished; ready for a checker once all are done; failed when the subject ran none.
 */
export async function advanceChallenges(): Promise<number> {
  const rows = await sql().$queryRaw<
    { id: string; kind: string; seed: string; planned_jobs: number; subject_node_id: string; models: string[]; total: number; open: number; succeeded: number }[]
  >`
    SELECT c.id, c.kind::text AS kind, c.seed, c.planned_jobs, c.subject_node_id, n.models,
           count(j.id)::int AS total,
           count(j.id) FILTER (WHERE j.state IN ('queued', 'assigned', 'running'))::int AS open,
           count(j.id) FILTER (WHERE j.state = 'succeeded')::int AS succeeded
    FROM checks c JOIN nodes n ON n.id = c.subject_node_id LEFT JOIN jobs j ON j.check_id = c.id
    WHERE c.status = 'waiting'
    GROUP BY c.id, n.models
    LIMIT 100`;
  let moved = 0;
  for (const c of rows) {
    if (c.open > 0) continue;
    if (c.total < c.planned_jobs && c.succeeded === c.total) {
      const models = await challengeModels(sql(), c.models);
      const model = models[c.total % Math.max(1, models.length)];
      if (model) {
        await submitChallengeJob({ checkId: c.id, seed: c.seed, index: c.total, nodeId: c.subject_node_id, model, capability: c.kind === "registration" });
        moved++;
        continue;
      }
    }
    if (c.succeeded === 0) {
      // The subject failed or abandoned every challenge job: that is a failed check (not
      // fraud — a broken machine looks the same), and no checker is needed to say so.
      await sqlTransaction(async (tx) => {
        const { recordNodeVerdict } = await import("./standing.ts");
        const n = await tx.$executeRaw`
          UPDATE checks SET status = 'done', verdict = 'fail', finished_at = now(), evidence = coalesce(evidence, '{}'::jsonb) || '{"resolution":"challenge jobs failed"}'::jsonb
          WHERE id = ${c.id}::uuid AND status = 'waiting'`;
        if (Number(n) === 0) return;
        await recordNodeVerdict(tx, { nodeId: c.subject_node_id, checkId: c.id, role: "worker", verdict: "fail", reason: `${c.kind}: challenge jobs failed` });
      });
    } else {
      await sql().$executeRaw`UPDATE checks SET status = 'queued' WHERE id = ${c.id}::uuid AND status = 'waiting'`;
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
  const recent = await sql().$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM checks WHERE kind = 'reexecution' AND created_at > now() - ${opts.sinceMs} * interval '1 millisecond'`;
  let count = 0;
  for (let i = 0; i < (recent[0]?.n ?? 0); i++) if (Math.random() < plantedRate) count++;
  let planted = 0;
  for (let i = 0; i < count; i++) {
    const jobs = await sql().$queryRaw<{ id: string; model_id: string; node_id: string; node_org: string; kind: string; output: unknown }[]>`
      SELECT j.id, j.model_id, j.node_id, n.org_id AS node_org, m.kind::text AS kind, p.output
      FROM jobs j JOIN nodes n ON n.id = j.node_id JOIN models m ON m.id = j.model_id JOIN job_payloads p ON p.job_id = j.id
      WHERE j.verification = 'verified' AND j.purpose = 'customer' AND j.finished_at > now() - interval '1 day'
      ORDER BY random() LIMIT 1`;
    const j = jobs[0];
    if (!j || j.node_id === null) break;
    const wrong = plantWrongOutput(j.kind as OutputKind, j.output, randomInt(2 ** 31));
    await sql().$executeRaw`
      INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, model_id, planted_output, epoch)
      VALUES (gen_random_uuid(), 'planted', 'queued', ${j.node_id}::uuid, ${j.node_org}::uuid, ${j.id}::uuid, ${j.model_id},
              ${JSON.stringify(wrong)}::jsonb, ${epochOf(Date.now())})`;
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
  const rows = await sql().$queryRaw<(WorkerRow & { idle_ms: number })[]>`
    SELECT n.id, n.org_id, n.models,
      extract(epoch FROM (now() - coalesce(n.last_checked_at, n.created_at))) * 1000 AS idle_ms
    FROM nodes n
    WHERE n.role = 'worker' AND n.status = 'online' AND n.paused_at IS NULL AND n.admission IN ('passed', 'derated')
      AND NOT EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind IN ('standby', 'latency') AND c.status IN ('waiting', 'queued', 'leased'))`;
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
    const done = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM epochs WHERE id = ${epoch}`;
    if (done.length > 0) return;
    const [jobs] = await tx.$queryRaw<{ customer: number; challenge: number }[]>`
      SELECT count(*) FILTER (WHERE purpose <> 'challenge')::int AS customer, count(*) FILTER (WHERE purpose = 'challenge')::int AS challenge
      FROM jobs WHERE state = 'succeeded' AND finished_at >= ${startsAt} AND finished_at < ${endsAt}`;
    const [checks] = await tx.$queryRaw<{ run: number; passes: number; mismatches: number; frauds: number; reexecuted: number }[]>`
      SELECT count(*)::int AS run,
             count(*) FILTER (WHERE verdict = 'pass')::int AS passes,
             count(*) FILTER (WHERE kind = 'dispute')::int AS mismatches,
             count(*) FILTER (WHERE verdict = 'fraud')::int AS frauds,
             count(*) FILTER (WHERE kind = 'reexecution')::int AS reexecuted
      FROM checks WHERE status = 'done' AND finished_at >= ${startsAt} AND finished_at < ${endsAt}`;
    const [slashes] = await tx.$queryRaw<{ n: number; amount: bigint; refunds: number }[]>`
      SELECT count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS amount, count(*) FILTER (WHERE refunded > 0)::int AS refunds
      FROM slashes WHERE created_at >= ${startsAt} AND created_at < ${endsAt}`;
    const customer = jobs?.customer ?? 0;
    const reexecuted = checks?.reexecuted ?? 0;
    const rewards = await payCheckers(tx, epoch, startsAt, endsAt);
    await tx.$executeRaw`
      INSERT INTO epochs (id, starts_at, ends_at, customer_jobs, challenge_jobs, checks_run, passes, mismatches, frauds, slashes, slashed_amount,
                          refunds, reexecuted, recheck_rate, checker_rewards)
      VALUES (${epoch}, ${startsAt}, ${endsAt}, ${customer}, ${jobs?.challenge ?? 0}, ${checks?.run ?? 0}, ${checks?.passes ?? 0},
              ${checks?.mismatches ?? 0}, ${checks?.frauds ?? 0}, ${slashes?.n ?? 0}, ${BigInt(slashes?.amount ?? 0n)}, ${slashes?.refunds ?? 0},
              ${reexecuted}, ${customer > 0 ? reexecuted / customer : 0}, ${rewards})
      ON CONFLICT (id) DO NOTHING`;
  });
  logger.info({ epoch }, "epoch closed");
}

async function payCheckers(tx: Parameters<Parameters<typeof sqlTransaction>[0]>[0], epoch: number, startsAt: Date, endsAt: Date): Promise<bigint> {
  const pool = await tx.$queryRaw<{ balance: bigint }[]>`SELECT balance FROM ledger_accounts WHERE code = ${SYSTEM_ACCOUNTS.checkerPool.code} FOR UPDATE`;
  const total = BigInt(pool[0]?.balance ?? 0n);
  const work = await tx.$queryRaw<{ org_id: string; n: number }[]>`
    SELECT n.org_id, count(*)::int AS n FROM checks c JOIN nodes n ON n.id = c.checker_node_id
    WHERE c.status = 'done' AND c.finished_at >= ${startsAt} AND c.finished_at < ${endsAt}
      AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.role = 'checker' AND v.verdict <> 'pass')
    GROUP BY n.org_id ORDER BY n.org_id`;
  const checksDone = work.reduce((a, w) => a + w.n, 0);
  if (total <= 0n || checksDone === 0) return 0n;
  let paid = 0n;
  // At most 15 providers per transfer (16 legs with the pool's).
  for (let i = 0; i < work.length; i += 15) {
    const chunk = work.slice(i, i + 15);
    const legs = chunk.map((w) => ({ code: orgAccountCode(w.org_id, "earnings"), amount: (total * BigInt(w.n)) / BigInt(checksDone) })).filter((l) => l.amount > 0n);
    const sum = legs.reduce((a, l) => a + l.amount, 0n);
    if (sum === 0n) continue;
    await postTransfer(tx, { idempotencyKey: `checker-rewards:${epoch}:${i}`, kind: "checker_reward", legs: [{ code: SYSTEM_ACCOUNTS.checkerPool.code, amount: -sum }, ...legs] });
    paid += sum;
  }
  return paid;
}

