import type { Db } from "@proofgrid/db/db-types";
import { ensureAccounts, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { allocateRefunds, planFraudSettlement } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { nodeHeldCode } from "./exposure.ts";
import { type FraudNotice, fraudNoticeHooks, type RefundHow, refundNote } from "./fraud-notices.ts";
import { epochOf, getPorConfig } from "./por-config.ts";
import { slashAmountFor } from "./slash.ts";
import { minBig, nodeStakeCode, nodeUnbondingCode } from "./stake.ts";

// What follows a proven fraud (a dispute's majority against the worker, a wrong canary, a
// checker approving a planted wrong result). In the verdict's transaction:
//   1. every payout the node still holds is clawed back, and its stake slashed — the
//      deterrent slash (slash.ts), or more if the refunds need it, never more than it has
//      bonded and unbonding — into the case's pot (`fraud:<case>:pot`);
//   2. the customer of the job proven wrong is refunded from the pot;
//   3. the node's customer jobs in flight go back to the queue (its results are refused);
//   4. every result of the node since its last passed check is listed for audit.
// Then the coordinator (advanceFraudCases) works through the audit in bounded batches:
// every listed job is refunded from the pot when the pot covers them all (cheaper than
// running them again, and every customer is whole); otherwise each is re-executed by a
// checker and refunded if wrong, oldest first as far as the pot goes. Each customer's job
// carries a note, and each customer organisation is told by email. What the pot has left
// goes to the treasury. No refund ever comes from anywhere but the pot: the emission pool
// never pays a customer whose money went to the cheater.

export const fraudPotCode = (caseId: string) => `fraud:${caseId}:pot`;

export interface FraudJob {
  id: string;
  orgId: string;
  price: bigint;
}

/** Refunds and audit checks made per case and tick; cases per tick. */
const AUDIT_BATCH = 200;
const CASES_PER_TICK = 10;

/**
 * Opens the case for one fraud verdict (once per check), in the verdict's transaction. The
 * subject is a worker (its results are audited) or a checker (nothing to audit: it is
 * slashed). Returns null when the check already has a case.
 */
export async function openFraudCase(tx: Db, opts: { nodeId: string; checkId: string; job: FraudJob | null; challengePrice?: bigint }) {
  const exists = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM fraud_cases WHERE check_id = ${opts.checkId}::uuid UNION ALL SELECT id FROM slashes WHERE check_id = ${opts.checkId}::uuid`;
  if (exists.length > 0) return null;
  const nodes = await tx.$queryRaw<{ org_id: string; role: string }[]>`SELECT org_id, role::text AS role FROM nodes WHERE id = ${opts.nodeId}::uuid`;
  const node = nodes[0];
  if (!node) throw new Error(`fraud by unknown node ${opts.nodeId}`);
  const config = getPorConfig();
  // A node already under audit (a second verdict from the same spree): its job joins the open
  // case and is refunded from that pot. One cheating spree is one fraud on the record.
  const open = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM fraud_cases WHERE node_id = ${opts.nodeId}::uuid AND status = 'auditing' ORDER BY created_at LIMIT 1 FOR UPDATE`;
  if (open[0]) {
    if (opts.job) await joinOpenCase(tx, open[0].id, opts.job);
    return null;
  }
  const caseRow = await tx.$queryRaw<{ id: string; created_at: Date }[]>`
    INSERT INTO fraud_cases (id, node_id, org_id, check_id, job_id) VALUES (gen_random_uuid(), ${opts.nodeId}::uuid, ${node.org_id}::uuid, ${opts.checkId}::uuid, ${opts.job?.id ?? null}::uuid)
    RETURNING id, created_at`;
  const fraud = caseRow[0] as { id: string; created_at: Date };

  // The results it audits: the node's customer results since its last passed check, the
  // newest first up to POR_AUDIT_MAX_JOBS, except the one proven wrong and any under another
  // dispute (that dispute decides it) or already refunded.
  let auditFrom: Date | null = null;
  if (node.role === "worker") {
    const passed = await tx.$queryRaw<{ at: Date | null }[]>`
      SELECT max(coalesce(j.finished_at, c.created_at)) AS at FROM checks c LEFT JOIN jobs j ON j.id = c.job_id
      WHERE c.subject_node_id = ${opts.nodeId}::uuid AND c.verdict = 'pass' AND c.kind <> 'planted'`;
    auditFrom = passed[0]?.at ?? null;
    await tx.$executeRaw`
      INSERT INTO fraud_audit_jobs (case_id, job_id, customer_org_id, charge)
      SELECT ${fraud.id}::uuid, j.id, j.org_id, j.price FROM jobs j
      WHERE j.node_id = ${opts.nodeId}::uuid AND j.state = 'succeeded' AND j.purpose <> 'challenge'
        AND j.finished_at > ${auditFrom ?? new Date(0)} AND j.id IS DISTINCT FROM ${opts.job?.id ?? null}::uuid
        AND j.verification IN ('unverified', 'pending', 'inconclusive', 'disputed') AND j.refunded_amount IS NULL
        AND NOT EXISTS (SELECT 1 FROM fraud_audit_jobs a WHERE a.job_id = j.id)
      ORDER BY j.finished_at DESC LIMIT ${config.auditMaxJobs}`;
    // Their sampled re-executions and open disputes are overtaken by the audit: the node is
    // proven fraudulent, and the audit decides each of them from the case's pot.
    await tx.$executeRaw`
      UPDATE checks SET status = 'canceled', lease_expires_at = NULL
      WHERE kind IN ('reexecution', 'dispute') AND status IN ('queued', 'leased') AND job_id IN (SELECT job_id FROM fraud_audit_jobs WHERE case_id = ${fraud.id}::uuid)`;
    await tx.$executeRaw`UPDATE jobs SET verification = 'pending' WHERE id IN (SELECT job_id FROM fraud_audit_jobs WHERE case_id = ${fraud.id}::uuid)`;
    await revokeJobsInFlight(tx, opts.nodeId);
  }
  const [audit] = await tx.$queryRaw<{ n: number; total: bigint }[]>`
    SELECT count(*)::int AS n, coalesce(sum(charge), 0)::bigint AS total FROM fraud_audit_jobs WHERE case_id = ${fraud.id}::uuid`;

  // Claw back every held payout (locking the rows: the release loop skips them), then size the slash.
  const held = await tx.$queryRaw<{ job_id: string; amount: bigint }[]>`
    SELECT job_id, amount FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held' FOR UPDATE`;
  const clawable = held.reduce((s, h) => s + BigInt(h.amount), 0n);
  const balances = await tx.$queryRaw<{ code: string; balance: bigint }[]>`
    SELECT code, balance FROM ledger_accounts WHERE code IN (${nodeStakeCode(opts.nodeId)}, ${nodeUnbondingCode(opts.nodeId)}, ${nodeHeldCode(opts.nodeId)}) FOR UPDATE`;
  const bal = new Map(balances.map((b) => [b.code, BigInt(b.balance)]));
  const clawback = minBig(clawable, bal.get(nodeHeldCode(opts.nodeId)) ?? 0n);
  const bonded = bal.get(nodeStakeCode(opts.nodeId)) ?? 0n;
  const unbonding = bal.get(nodeUnbondingCode(opts.nodeId)) ?? 0n;
  const caughtPrice = opts.job?.price ?? 0n;
  const plan = planFraudSettlement({
    held: clawback,
    slashable: bonded + unbonding,
    deterrentSlash: slashAmountFor(caughtPrice > 0n ? caughtPrice : (opts.challengePrice ?? 1n) > 0n ? (opts.challengePrice ?? 1n) : 1n),
    refundsNeeded: caughtPrice + BigInt(audit?.total ?? 0n),
  });
  const fromStake = minBig(plan.slash, bonded);
  const fromUnbonding = plan.slash - fromStake;
  const pot = fraudPotCode(fraud.id);
  await ensureAccounts(tx, [{ code: pot, kind: "fraud_pot", orgId: node.org_id }]);
  const legs = [
    { code: nodeHeldCode(opts.nodeId), amount: -clawback },
    { code: nodeStakeCode(opts.nodeId), amount: -fromStake },
    { code: nodeUnbondingCode(opts.nodeId), amount: -fromUnbonding },
    { code: pot, amount: plan.pot },
  ].filter((l) => l.amount !== 0n);
  if (legs.length >= 2) {
    await postTransfer(tx, { idempotencyKey: `fraud:${fraud.id}`, kind: "slash", jobId: opts.job?.id ?? null, memo: `fraud by node ${opts.nodeId}: clawback and slash`, legs });
  }
  if (held.length > 0) {
    await tx.$executeRaw`
      UPDATE held_earnings SET state = 'clawed', resolved_at = now(), fraud_case_id = ${fraud.id}::uuid
      WHERE job_id = ANY(${held.map((h) => h.job_id)}::uuid[])`;
  }

  // The job proven wrong is refunded first, as far as the pot goes.
  let refunded = 0n;
  if (opts.job) refunded = await refundFromPot(tx, { caseId: fraud.id, jobId: opts.job.id, orgId: opts.job.orgId, charge: opts.job.price, potLeft: plan.pot, how: "proven" });
  await tx.$executeRaw`
    UPDATE fraud_cases SET clawed_back = ${clawback}, slashed = ${plan.slash}, refunded = ${refunded}, audit_from = ${auditFrom},
      audit_jobs = ${audit?.n ?? 0}, audit_mode = ${(audit?.n ?? 0) === 0 ? null : plan.pot - refunded >= BigInt(audit?.total ?? 0n) ? "refund" : "reexecute"}
    WHERE id = ${fraud.id}::uuid`;
  // The slash as the public record counts it (epoch statistics, provider records).
  await tx.$executeRaw`
    INSERT INTO slashes (id, node_id, check_id, job_id, amount, refunded, epoch)
    VALUES (gen_random_uuid(), ${opts.nodeId}::uuid, ${opts.checkId}::uuid, ${opts.job?.id ?? null}::uuid, ${plan.slash}, ${refunded}, ${epochOf(Date.now())})`;
  logger.warn(
    { caseId: fraud.id, nodeId: opts.nodeId, checkId: opts.checkId, clawback: clawback.toString(), slashed: plan.slash.toString(), refunded: refunded.toString(), audit: audit?.n ?? 0 },
    "fraud case opened: clawback, slash, refund",
  );
  return { caseId: fraud.id, clawback, slashed: plan.slash, refunded, auditJobs: audit?.n ?? 0 };
}

/** A job proven wrong while its node's case is open: refunded from that case's pot, as far as it goes. */
async function joinOpenCase(tx: Db, caseId: string, job: FraudJob): Promise<void> {
  const inserted = await tx.$queryRaw<{ job_id: string }[]>`
    INSERT INTO fraud_audit_jobs (case_id, job_id, customer_org_id, charge) VALUES (${caseId}::uuid, ${job.id}::uuid, ${job.orgId}::uuid, ${job.price})
    ON CONFLICT DO NOTHING RETURNING job_id`;
  if (inserted.length === 0) return;
  const amount = await refundFromPot(tx, { caseId, jobId: job.id, orgId: job.orgId, charge: job.price, potLeft: await potLeft(tx, caseId), how: "proven" });
  await tx.$executeRaw`UPDATE fraud_audit_jobs SET outcome = 'refunded', refunded = ${amount}, resolved_at = now() WHERE case_id = ${caseId}::uuid AND job_id = ${job.id}::uuid`;
  await tx.$executeRaw`UPDATE fraud_cases SET refunded = refunded + ${amount}, audit_jobs = audit_jobs + 1 WHERE id = ${caseId}::uuid`;
}

/** The node's customer jobs in flight go back to the queue; its later results are refused (stale attempt). */
async function revokeJobsInFlight(tx: Db, nodeId: string): Promise<void> {
  await tx.$executeRaw`
    WITH revoked AS (
      UPDATE jobs SET state = 'queued', node_id = NULL, lease_expires_at = NULL,
        placement = jsonb_set(coalesce(placement, '{}'::jsonb), '{declined}', coalesce(placement -> 'declined', '[]'::jsonb) || to_jsonb(${nodeId}::text))
      WHERE node_id = ${nodeId}::uuid AND state IN ('assigned', 'running') AND pinned_node_id IS NULL
      RETURNING id, attempt
    )
    UPDATE job_attempts a SET outcome = 'revoked', finished_at = now() FROM revoked r WHERE a.job_id = r.id AND a.attempt = r.attempt AND a.outcome = 'leased'`;
}

/** Pays one job's refund from the case's pot (at most its charge and what is left). */
async function refundFromPot(tx: Db, r: { caseId: string; jobId: string; orgId: string; charge: bigint; potLeft: bigint; how: RefundHow }): Promise<bigint> {
  const amount = minBig(r.charge, r.potLeft);
  if (amount > 0n) {
    await postTransfer(tx, {
      idempotencyKey: `fraud-refund:${r.caseId}:${r.jobId}`,
      kind: "refund",
      jobId: r.jobId,
      memo: `fraud case ${r.caseId}`,
      legs: [
        { code: fraudPotCode(r.caseId), amount: -amount },
        { code: orgAccountCode(r.orgId, "available"), amount },
      ],
    });
  }
  await tx.$executeRaw`
    UPDATE jobs SET verification = 'refunded', refunded_amount = ${amount}, verification_note = ${refundNote({ how: r.how, refunded: amount, charge: r.charge })}
    WHERE id = ${r.jobId}::uuid`;
  return amount;
}

async function potLeft(tx: Db, caseId: string): Promise<bigint> {
  const rows = await tx.$queryRaw<{ balance: bigint }[]>`SELECT balance FROM ledger_accounts WHERE code = ${fraudPotCode(caseId)} FOR UPDATE`;
  return BigInt(rows[0]?.balance ?? 0n);
}

/**
 * An audit check's verdict (report-check.ts), in the report's transaction: a wrong result is
 * refunded from the pot, a right one verified.
 */
export async function resolveAuditJob(tx: Db, opts: { checkId: string; jobId: string; match: boolean }): Promise<void> {
  const rows = await tx.$queryRaw<{ case_id: string; customer_org_id: string; charge: bigint; outcome: string | null }[]>`
    SELECT case_id, customer_org_id, charge, outcome FROM fraud_audit_jobs WHERE check_id = ${opts.checkId}::uuid FOR UPDATE`;
  const a = rows[0];
  if (!a || a.outcome) return;
  if (opts.match) {
    await tx.$executeRaw`UPDATE fraud_audit_jobs SET outcome = 'verified', resolved_at = now() WHERE check_id = ${opts.checkId}::uuid`;
    await tx.$executeRaw`
      UPDATE jobs SET verification = 'verified', verification_note = ${"Its worker was later proven fraudulent, so this result was re-executed by an independent checker: it was right."}
      WHERE id = ${opts.jobId}::uuid`;
    return;
  }
  const left = await potLeft(tx, a.case_id);
  const amount = await refundFromPot(tx, { caseId: a.case_id, jobId: opts.jobId, orgId: a.customer_org_id, charge: BigInt(a.charge), potLeft: left, how: "audit-wrong" });
  await tx.$executeRaw`UPDATE fraud_audit_jobs SET outcome = 'refunded', refunded = ${amount}, resolved_at = now() WHERE check_id = ${opts.checkId}::uuid`;
  await tx.$executeRaw`UPDATE fraud_cases SET refunded = refunded + ${amount} WHERE id = ${a.case_id}::uuid`;
}

/**
 * The coordinator's audit loop: per open case, refunds or audit checks in batches, audit
 * checks past POR_AUDIT_DEADLINE_MS refunded instead, and a case whose every job has an
 * outcome settled — the rest of the pot to the treasury, the customers told.
 */
export async function advanceFraudCases(): Promise<number> {
  const config = getPorConfig();
  const cases = await sql().$queryRaw<{ id: string }[]>`
    SELECT id FROM fraud_cases WHERE status = 'auditing' ORDER BY created_at LIMIT ${CASES_PER_TICK}`;
  let moved = 0;
  for (const c of cases) {
    moved += await sqlTransaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string; node_id: string; org_id: string; check_id: string; audit_mode: string | null; status: string }[]>`
        SELECT id, node_id, org_id, check_id, audit_mode, status::text AS status FROM fraud_cases WHERE id = ${c.id}::uuid FOR UPDATE`;
      const fraud = locked[0];
      if (!fraud || fraud.status !== "auditing") return 0;
      let n = 0;
      if (fraud.audit_mode === "refund") {
        const open = await tx.$queryRaw<{ job_id: string; customer_org_id: string; charge: bigint }[]>`
          SELECT job_id, customer_org_id, charge FROM fraud_audit_jobs WHERE case_id = ${fraud.id}::uuid AND outcome IS NULL
          ORDER BY job_id LIMIT ${AUDIT_BATCH} FOR UPDATE`;
        let left = await potLeft(tx, fraud.id);
        const amounts = allocateRefunds(left, open.map((o) => BigInt(o.charge)));
        for (const [i, o] of open.entries()) {
          const amount = await refundFromPot(tx, { caseId: fraud.id, jobId: o.job_id, orgId: o.customer_org_id, charge: BigInt(o.charge), potLeft: amounts[i] ?? 0n, how: "audit-refund" });
          left -= amount;
          await tx.$executeRaw`UPDATE fraud_audit_jobs SET outcome = 'refunded', refunded = ${amount}, resolved_at = now() WHERE case_id = ${fraud.id}::uuid AND job_id = ${o.job_id}::uuid`;
          await tx.$executeRaw`UPDATE fraud_cases SET refunded = refunded + ${amount} WHERE id = ${fraud.id}::uuid`;
          n++;
        }
      } else if (fraud.audit_mode === "reexecute") {
        // New audit checks, oldest results first (refunds follow the order the checks finish in).
        const fresh = await tx.$queryRaw<{ job_id: string; model_id: string }[]>`
          SELECT a.job_id, j.model_id FROM fraud_audit_jobs a JOIN jobs j ON j.id = a.job_id
          WHERE a.case_id = ${fraud.id}::uuid AND a.outcome IS NULL AND a.check_id IS NULL
          ORDER BY j.finished_at LIMIT ${AUDIT_BATCH}`;
        for (const f of fresh) {
          const check = await tx.$queryRaw<{ id: string }[]>`
            INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, parent_check_id, model_id, epoch, evidence)
            VALUES (gen_random_uuid(), 'audit', 'queued', ${fraud.node_id}::uuid, ${fraud.org_id}::uuid, ${f.job_id}::uuid, ${fraud.check_id}::uuid,
                    ${f.model_id}, ${epochOf(Date.now())}, ${JSON.stringify({ caseId: fraud.id })}::jsonb)
            RETURNING id`;
          await tx.$executeRaw`UPDATE fraud_audit_jobs SET check_id = ${check[0]?.id ?? null}::uuid WHERE case_id = ${fraud.id}::uuid AND job_id = ${f.job_id}::uuid`;
          n++;
        }
        // Audit checks nobody re-executed in time: refunded as far as the pot goes.
        const late = await tx.$queryRaw<{ job_id: string; customer_org_id: string; charge: bigint; check_id: string }[]>`
          SELECT a.job_id, a.customer_org_id, a.charge, a.check_id FROM fraud_audit_jobs a JOIN checks k ON k.id = a.check_id
          WHERE a.case_id = ${fraud.id}::uuid AND a.outcome IS NULL AND k.status IN ('queued', 'leased')
            AND k.created_at < now() - ${config.auditDeadlineMs} * interval '1 millisecond'
          ORDER BY k.created_at LIMIT ${AUDIT_BATCH} FOR UPDATE OF a`;
        for (const l of late) {
          await tx.$executeRaw`UPDATE checks SET status = 'canceled', lease_expires_at = NULL WHERE id = ${l.check_id}::uuid`;
          const amount = await refundFromPot(tx, { caseId: fraud.id, jobId: l.job_id, orgId: l.customer_org_id, charge: BigInt(l.charge), potLeft: await potLeft(tx, fraud.id), how: "audit-late" });
          await tx.$executeRaw`UPDATE fraud_audit_jobs SET outcome = 'refunded', refunded = ${amount}, resolved_at = now() WHERE case_id = ${fraud.id}::uuid AND job_id = ${l.job_id}::uuid`;
          await tx.$executeRaw`UPDATE fraud_cases SET refunded = refunded + ${amount} WHERE id = ${fraud.id}::uuid`;
          n++;
        }
      }
      const [open] = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM fraud_audit_jobs WHERE case_id = ${fraud.id}::uuid AND outcome IS NULL`;
      if ((open?.n ?? 0) === 0) {
        await settleFraudCase(tx, fraud.id);
        n++;
      }
      return n;
    });
  }
  return moved;
}

/** The audit is done: the pot's remainder to the treasury, the customers told. */
async function settleFraudCase(tx: Db, caseId: string): Promise<void> {
  const left = await potLeft(tx, caseId);
  if (left > 0n) {
    await postTransfer(tx, {
      idempotencyKey: `fraud-settle:${caseId}`,
      kind: "fraud_settle",
      memo: `fraud case ${caseId}: what the refunds left`,
      legs: [
        { code: fraudPotCode(caseId), amount: -left },
        { code: SYSTEM_ACCOUNTS.treasury.code, amount: left },
      ],
    });
  }
  await tx.$executeRaw`UPDATE fraud_cases SET status = 'settled', settled_at = now(), to_treasury = ${left} WHERE id = ${caseId}::uuid`;
  // Per customer organisation: its jobs the case touched (the one proven wrong and the audited ones).
  const touched = await tx.$queryRaw<{ org_id: string; job_id: string; verification: string; refunded: bigint | null; charge: bigint }[]>`
    SELECT j.org_id, j.id AS job_id, j.verification::text AS verification, j.refunded_amount AS refunded, j.price AS charge
    FROM jobs j WHERE j.id IN (SELECT job_id FROM fraud_audit_jobs WHERE case_id = ${caseId}::uuid
                               UNION SELECT job_id FROM fraud_cases WHERE id = ${caseId}::uuid AND job_id IS NOT NULL)
      AND j.org_id <> '00000000-0000-4000-8000-00000000c0de'::uuid
    ORDER BY j.org_id, j.finished_at`;
  const byOrg = new Map<string, FraudNotice["jobs"]>();
  for (const t of touched) {
    const list = byOrg.get(t.org_id) ?? [];
    list.push({ jobId: t.job_id, verification: t.verification, refunded: BigInt(t.refunded ?? 0n), charge: BigInt(t.charge) });
    byOrg.set(t.org_id, list);
  }
  for (const [orgId, jobs] of byOrg) {
    for (const hook of fraudNoticeHooks) await hook(tx, { caseId, customerOrgId: orgId, jobs });
  }
  logger.warn({ caseId, toTreasury: left.toString(), customers: byOrg.size }, "fraud case settled");
}
