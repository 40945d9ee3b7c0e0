import { insertFraudNoticeEmail, loadOrgOwnerEmails } from "@proofgrid/db/checks/fraud-notices";
import type { Db } from "@proofgrid/db/db-types";
import { formatTokens } from "../billing/get-balance.ts";

// How a customer learns that its worker was proven fraudulent: a note on each job it
// touched (GET /api/v1/jobs/:id `notice`, the job page), and one email per customer
// organisation when the case's audit is done, through the outbox (mail/outbox.ts delivers
// it). Webhooks are a later issue: a webhook sender registers itself in `fraudNoticeHooks`
// and gets the same notice, in the same transaction as the refunds it reports.

export type RefundHow = "proven" | "audit-refund" | "audit-wrong" | "audit-late";

export interface FraudNotice {
  caseId: string;
  customerOrgId: string;
  jobs: { jobId: string; verification: string; refunded: bigint; charge: bigint }[];
}

export type FraudNoticeHook = (tx: Db, notice: FraudNotice) => Promise<void>;

/** The note a refunded job carries, in words a person reads (tokens, not base units). */
export function refundNote(r: { how: RefundHow; refunded: bigint; charge: bigint }): string {
  const amount =
    r.refunded === r.charge
      ? `its price (${formatTokens(r.charge)} tokens) was refunded`
      : `${formatTokens(r.refunded)} of its ${formatTokens(r.charge)} tokens were refunded (all its worker's held earnings and stake could cover)`;
  switch (r.how) {
    case "proven":
      return `A checker re-ran this job and a third executor confirmed the result was wrong: ${amount} from the worker's clawed-back earnings and slashed stake. POST /api/v1/jobs/<id>/rerun runs it again on another worker.`;
    case "audit-refund":
      return `The worker that ran this job was proven fraudulent on another job, so every result of it since its last passed check was refunded: ${amount} from its clawed-back earnings and slashed stake. POST /api/v1/jobs/<id>/rerun runs it again on another worker.`;
    case "audit-wrong":
      return `The worker that ran this job was proven fraudulent on another job; an independent checker re-ran this one and found it wrong too: ${amount}. POST /api/v1/jobs/<id>/rerun runs it again on another worker.`;
    case "audit-late":
      return `The worker that ran this job was proven fraudulent on another job; no checker re-ran this one in time, so ${amount}. POST /api/v1/jobs/<id>/rerun runs it again on another worker.`;
  }
}

/** Jobs listed in one email; the rest are counted. */
const MAX_JOBS_IN_EMAIL = 20;

/** Emails the customer organisation's owners (the outbox row commits with the refunds). */
async function emailOwners(tx: Db, notice: FraudNotice): Promise<void> {
  const owners = await loadOrgOwnerEmails(tx, { orgId: notice.customerOrgId });
  if (owners.length === 0) return;
  const refunded = notice.jobs.filter((j) => j.verification === "refunded");
  const verified = notice.jobs.filter((j) => j.verification === "verified");
  const total = refunded.reduce((s, j) => s + j.refunded, 0n);
  const lines = notice.jobs
    .slice(0, MAX_JOBS_IN_EMAIL)
    .map(
      (j) =>
        `  ${j.jobId}  ${j.verification === "refunded" ? `refunded ${formatTokens(j.refunded)} of ${formatTokens(j.charge)} tokens` : j.verification}`,
    );
  const more =
    notice.jobs.length > MAX_JOBS_IN_EMAIL
      ? [`  … and ${notice.jobs.length - MAX_JOBS_IN_EMAIL} more (GET /api/v1/jobs/<id> shows each one's notice)`]
      : [];
  const text = [
    `A worker that ran jobs for ${owners[0]?.name ?? "your organisation"} was proven to have returned wrong results.`,
    "",
    `Every result of that worker since its last passed check was audited: ${refunded.length} job(s) refunded (${formatTokens(total)} tokens, from the worker's clawed-back earnings and slashed stake), ${verified.length} re-executed and found right.`,
    "",
    ...lines,
    ...more,
    "",
    "Each job's page and GET /api/v1/jobs/<id> carry the notice; POST /api/v1/jobs/<id>/rerun runs a refunded job again on another worker.",
  ].join("\n");
  for (const o of owners) {
    await insertFraudNoticeEmail(tx, {
      toAddress: o.email,
      subject: "Proofgrid: results of a fraudulent worker were refunded",
      bodyText: text.slice(0, 20_000),
    });
  }
}

/** Everyone told when a fraud case settles. A webhook sender (a later issue) adds itself here. */
export const fraudNoticeHooks: FraudNoticeHook[] = [emailOwners];
