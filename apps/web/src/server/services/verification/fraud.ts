import type { Db } from "@proofgrid/db/db-types";
import { cancelAuditCheck, cancelOvertakenChecks, insertAuditCheck } from "@proofgrid/db/fraud/audit-checks";
import { listCaseJobs, markAuditedJobsPending, markJobRefunded, markJobVerifiedByAudit } from "@proofgrid/db/fraud/case-jobs";
import {
  countOpenAuditJobs,
  insertFraudAuditJobs,
  insertJoinedAuditJob,
  listUncheckedAuditJobs,
  loadLastPassedCheckAt,
  lockAuditJobOfCheck,
  lockLateAuditJobs,
  lockOpenAuditJobs,
  markAuditJobOfCheckRefunded,
  markAuditJobOfCheckVerified,
  markAuditJobRefunded,
  setAuditJobCheck,
  sumFraudAuditJobs,
} from "@proofgrid/db/fraud/fraud-audit-jobs";
import {
  addFraudCaseRefund,
  addJoinedFraudCaseJob,
  hasFraudCaseOrSlash,
  insertFraudCase,
  listAuditingFraudCaseIds,
  lockFraudCase,
  lockOpenFraudCaseId,
  markFraudCaseSettled,
  recordFraudCaseOpening,
} from "@proofgrid/db/fraud/fraud-cases";
import { lockFraudPotBalance } from "@proofgrid/db/fraud/fraud-pots";
import { loadFraudSubject, revokeNodeJobsInFlight } from "@proofgrid/db/fraud/fraud-subjects";
import { lockHeldPayouts, markHeldPayoutsClawed } from "@proofgrid/db/fraud/held-clawbacks";
import { insertSlash, lockSlashableBalances } from "@proofgrid/db/fraud/slashes";
import { ensureAccounts, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { allocateRefunds, planFraudSettlement } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { nodeHeldCode } from "./exposure.ts";
import { enqueueJobWebhook } from "../webhooks/webhook-events.ts";
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
  if (await hasFraudCaseOrSlash(tx, { checkId: opts.checkId })) return null;
  const node = await loadFraudSubject(tx, { nodeId: opts.nodeId });
  if (!node) throw new Error(`fraud by unknown node ${opts.nodeId}`);
  const config = getPorConfig();
  // A node already under audit (a second verdict from the same spree): its job joins the open
  // case and is refunded from that pot. One cheating spree is one fraud on the record.
  const openCaseId = await lockOpenFraudCaseId(tx, { nodeId: opts.nodeId });
  if (openCaseId) {
    if (opts.job) await joinOpenCase(tx, openCaseId, opts.job);
    return null;
  }
  const fraud = await insertFraudCase(tx, { nodeId: opts.nodeId, orgId: node.org_id, checkId: opts.checkId, jobId: opts.job?.id ?? null });

  // The results it audits: the node's customer results since its last passed check (see
  // insertFraudAuditJobs for which), their checks overtaken, its jobs in flight revoked.
  let auditFrom: Date | null = null;
  if (node.role === "worker") {
    auditFrom = await loadLastPassedCheckAt(tx, { nodeId: opts.nodeId });
    await insertFraudAuditJobs(tx, {
      caseId: fraud.id,
      nodeId: opts.nodeId,
      auditFrom,
      provenJobId: opts.job?.id ?? null,
      limit: config.auditMaxJobs,
    });
    await cancelOvertakenChecks(tx, { caseId: fraud.id });
    await markAuditedJobsPending(tx, { caseId: fraud.id });
    await revokeNodeJobsInFlight(tx, { nodeId: opts.nodeId });
  }
  const audit = await sumFraudAuditJobs(tx, { caseId: fraud.id });

  // Claw back every held payout (the rows locked), then size the slash.
  const held = await lockHeldPayouts(tx, { nodeId: opts.nodeId });
  const clawable = held.reduce((s, h) => s + BigInt(h.amount), 0n);
  const bal = await lockSlashableBalances(tx, {
    stakeCode: nodeStakeCode(opts.nodeId),
    unbondingCode: nodeUnbondingCode(opts.nodeId),
    heldCode: nodeHeldCode(opts.nodeId),
  });
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
    await postTransfer(tx, {
      idempotencyKey: `fraud:${fraud.id}`,
      kind: "slash",
      jobId: opts.job?.id ?? null,
      memo: `fraud by node ${opts.nodeId}: clawback and slash`,
      legs,
    });
  }
  if (held.length > 0) await markHeldPayoutsClawed(tx, { jobIds: held.map((h) => h.job_id), caseId: fraud.id });

  // The job proven wrong is refunded first, as far as the pot goes.
  let refunded = 0n;
  if (opts.job)
    refunded = await refundFromPot(tx, {
      caseId: fraud.id,
      jobId: opts.job.id,
      orgId: opts.job.orgId,
      charge: opts.job.price,
      potLeft: plan.pot,
      how: "proven",
    });
  await recordFraudCaseOpening(tx, {
    caseId: fraud.id,
    clawedBack: clawback,
    slashed: plan.slash,
    refunded,
    auditFrom,
    auditJobs: audit?.n ?? 0,
    // The pot refunds every audited job when it covers them all; otherwise checkers decide which were wrong.
    auditMode: (audit?.n ?? 0) === 0 ? null : plan.pot - refunded >= BigInt(audit?.total ?? 0n) ? "refund" : "reexecute",
  });
  await insertSlash(tx, {
    nodeId: opts.nodeId,
    checkId: opts.checkId,
    jobId: opts.job?.id ?? null,
    amount: plan.slash,
    refunded,
    epoch: epochOf(Date.now()),
  });
  logger.warn(
    {
      caseId: fraud.id,
      nodeId: opts.nodeId,
      checkId: opts.checkId,
      clawback: clawback.toString(),
      slashed: plan.slash.toString(),
      refunded: refunded.toString(),
      audit: audit?.n ?? 0,
    },
    "fraud case opened: clawback, slash, refund",
  );
  return { caseId: fraud.id, clawback, slashed: plan.slash, refunded, auditJobs: audit?.n ?? 0 };
}

/** A job proven wrong while its node's case is open: refunded from that case's pot, as far as it goes. */
async function joinOpenCase(tx: Db, caseId: string, job: FraudJob): Promise<void> {
  if (!(await insertJoinedAuditJob(tx, { caseId, jobId: job.id, customerOrgId: job.orgId, charge: job.price }))) return;
  const amount = await refundFromPot(tx, {
    caseId,
    jobId: job.id,
    orgId: job.orgId,
    charge: job.price,
    potLeft: await potLeft(tx, caseId),
    how: "proven",
  });
  await markAuditJobRefunded(tx, { caseId, jobId: job.id, amount });
  await addJoinedFraudCaseJob(tx, { caseId, amount });
}

/** Pays one job's refund from the case's pot (at most its charge and what is left). */
async function refundFromPot(
  tx: Db,
  r: { caseId: string; jobId: string; orgId: string; charge: bigint; potLeft: bigint; how: RefundHow },
): Promise<bigint> {
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
  await markJobRefunded(tx, { jobId: r.jobId, amount, note: refundNote({ how: r.how, refunded: amount, charge: r.charge }) });
  // In the refund's own transaction (fraudNoticeHooks run later, when the whole case settles).
  await enqueueJobWebhook(tx, { orgId: r.orgId, jobId: r.jobId, type: "job.refunded" });
  return amount;
}

/** What is left in the case's pot (the account locked). */
async function potLeft(tx: Db, caseId: string): Promise<bigint> {
  return lockFraudPotBalance(tx, { potCode: fraudPotCode(caseId) });
}

/**
 * An audit check's verdict (report-check.ts), in the report's transaction: a wrong result is
 * refunded from the pot, a right one verified.
 */
export async function resolveAuditJob(tx: Db, opts: { checkId: string; jobId: string; match: boolean }): Promise<void> {
  const a = await lockAuditJobOfCheck(tx, { checkId: opts.checkId });
  if (!a || a.outcome) return;
  if (opts.match) {
    await markAuditJobOfCheckVerified(tx, { checkId: opts.checkId });
    await markJobVerifiedByAudit(tx, {
      jobId: opts.jobId,
      note: "Its worker was later proven fraudulent, so this result was re-executed by an independent checker: it was right.",
    });
    return;
  }
  const left = await potLeft(tx, a.case_id);
  const amount = await refundFromPot(tx, {
    caseId: a.case_id,
    jobId: opts.jobId,
    orgId: a.customer_org_id,
    charge: BigInt(a.charge),
    potLeft: left,
    how: "audit-wrong",
  });
  await markAuditJobOfCheckRefunded(tx, { checkId: opts.checkId, amount });
  await addFraudCaseRefund(tx, { caseId: a.case_id, amount });
}

/**
 * The coordinator's audit loop: per open case, refunds or audit checks in batches, audit
 * checks past POR_AUDIT_DEADLINE_MS refunded instead, and a case whose every job has an
 * outcome settled — the rest of the pot to the treasury, the customers told.
 */
export async function advanceFraudCases(): Promise<number> {
  const config = getPorConfig();
  const cases = await listAuditingFraudCaseIds(sql(), { limit: CASES_PER_TICK });
  let moved = 0;
  for (const c of cases) {
    moved += await sqlTransaction(async (tx) => {
      const fraud = await lockFraudCase(tx, { id: c.id });
      if (!fraud || fraud.status !== "auditing") return 0;
      let n = 0;
      if (fraud.audit_mode === "refund") {
        const open = await lockOpenAuditJobs(tx, { caseId: fraud.id, limit: AUDIT_BATCH });
        let left = await potLeft(tx, fraud.id);
        const amounts = allocateRefunds(
          left,
          open.map((o) => BigInt(o.charge)),
        );
        for (const [i, o] of open.entries()) {
          const amount = await refundFromPot(tx, {
            caseId: fraud.id,
            jobId: o.job_id,
            orgId: o.customer_org_id,
            charge: BigInt(o.charge),
            potLeft: amounts[i] ?? 0n,
            how: "audit-refund",
          });
          left -= amount;
          await markAuditJobRefunded(tx, { caseId: fraud.id, jobId: o.job_id, amount });
          await addFraudCaseRefund(tx, { caseId: fraud.id, amount });
          n++;
        }
      } else if (fraud.audit_mode === "reexecute") {
        // New audit checks, oldest results first (refunds follow the order the checks finish in).
        const fresh = await listUncheckedAuditJobs(tx, { caseId: fraud.id, limit: AUDIT_BATCH });
        for (const f of fresh) {
          const checkId = await insertAuditCheck(tx, {
            subjectNodeId: fraud.node_id,
            subjectOrgId: fraud.org_id,
            jobId: f.job_id,
            parentCheckId: fraud.check_id,
            modelId: f.model_id,
            epoch: epochOf(Date.now()),
            caseId: fraud.id,
          });
          await setAuditJobCheck(tx, { caseId: fraud.id, jobId: f.job_id, checkId });
          n++;
        }
        // Audit checks nobody re-executed in time: refunded as far as the pot goes.
        const late = await lockLateAuditJobs(tx, { caseId: fraud.id, deadlineMs: config.auditDeadlineMs, limit: AUDIT_BATCH });
        for (const l of late) {
          await cancelAuditCheck(tx, { checkId: l.check_id });
          const amount = await refundFromPot(tx, {
            caseId: fraud.id,
            jobId: l.job_id,
            orgId: l.customer_org_id,
            charge: BigInt(l.charge),
            potLeft: await potLeft(tx, fraud.id),
            how: "audit-late",
          });
          await markAuditJobRefunded(tx, { caseId: fraud.id, jobId: l.job_id, amount });
          await addFraudCaseRefund(tx, { caseId: fraud.id, amount });
          n++;
        }
      }
      if ((await countOpenAuditJobs(tx, { caseId: fraud.id })) === 0) {
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
  await markFraudCaseSettled(tx, { caseId, toTreasury: left });
  // Per customer organisation: its jobs the case touched (the one proven wrong and the audited ones).
  const touched = await listCaseJobs(tx, { caseId });
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
