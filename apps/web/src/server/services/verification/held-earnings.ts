import { createHash } from "node:crypto";
import { orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import {
  countHeldEarningsByState,
  heldEarningAfterTransfer,
  lockDueHeldEarnings,
  markHeldEarningsReleased,
} from "@proofgrid/db/stakes/held-earnings";
import { logger } from "../../logger.ts";
import { nodeHeldCode } from "./exposure.ts";
import { getPorConfig } from "./por-config.ts";

// A worker's payout for a job is held on its node (`node:<id>:held`) until the job's
// verification window closes. Then, if nothing says the result was wrong, it is released to
// the provider's earnings (which it can stake or spend); a fraud verdict claws back every
// payout still held (fraud.ts). A payout is not released while its job's check is pending or
// disputed, while the node has an open dispute or an open fraud case, or while the node is
// quarantined for fraud: any of those may still end in a clawback.

/** The CTE that records a settled job's held payout in its settlement's statement (postTransfer's `also`). */
export function heldEarningOfSettlement(h: { jobId: string; nodeId: string; orgId: string; amount: bigint; charge: bigint }) {
  return heldEarningAfterTransfer({ ...h, releaseAt: new Date(Date.now() + getPorConfig().verificationWindowMs) });
}

/** Rows released per transfer (one transfer per node and batch), and batches per run. */
const RELEASE_BATCH = 500;
const MAX_BATCHES_PER_RUN = 20;

/**
 * Releases held payouts whose window has closed (coordinator). Each batch of one node's due
 * payouts moves in one transfer, in the transaction that marks them released; the rows are
 * locked with SKIP LOCKED, so concurrent runs and a fraud verdict's clawback never both take
 * one. Returns the number of payouts released.
 */
export async function releaseHeldEarnings(): Promise<number> {
  let released = 0;
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const n = await sqlTransaction(async (tx) => {
      const due = await lockDueHeldEarnings(tx, { limit: RELEASE_BATCH });
      const byNode = new Map<string, typeof due>();
      for (const d of due) byNode.set(d.node_id, [...(byNode.get(d.node_id) ?? []), d]);
      // Node by node in the order of their accounts' codes (node:<id>:held), the order every
      // transfer locks accounts in: a group commit of completions holds several at once.
      for (const [nodeId, rows] of [...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const total = rows.reduce((s, d) => s + BigInt(d.amount), 0n);
        const ids = rows.map((d) => d.job_id).sort();
        const key = createHash("sha256").update(ids.join(",")).digest("hex").slice(0, 32);
        await postTransfer(tx, {
          idempotencyKey: `release-earnings:${nodeId}:${key}`,
          kind: "release_earnings",
          memo: `${rows.length} payout(s) of node ${nodeId} past their verification window`,
          legs: [
            { code: nodeHeldCode(nodeId), amount: -total },
            { code: orgAccountCode((rows[0] as (typeof rows)[number]).org_id, "earnings"), amount: total },
          ],
        });
        await markHeldEarningsReleased(tx, { jobIds: ids });
      }
      return due.length;
    });
    released += n;
    if (n < RELEASE_BATCH) break;
  }
  if (released > 0) logger.info({ released }, "held earnings released");
  return released;
}

/** Held payouts that are due but blocked (pending checks, disputes, fraud): for diagnostics and tests. */
export async function heldEarningsSummary(nodeId: string) {
  const rows = await countHeldEarningsByState(sql(), { nodeId });
  return Object.fromEntries(rows.map((r) => [r.state, { jobs: r.n, amount: BigInt(r.amount) }])) as Partial<
    Record<"held" | "released" | "clawed", { jobs: number; amount: bigint }>
  >;
}
