import type { Db } from "../db-types.ts";
import { queryFragment, sqlFragment } from "../sql-fragment.ts";

// A worker's exposure, read from the database: the charge of its customer jobs in flight
// (assigned or running; a challenge pinned to it is the platform's and is not gated) plus
// the charge of its settled jobs whose payout is still held. The charge of a job in flight
// is what settlement will take: its cost at the ask fixed at assignment, never above the
// hold (complete-job.ts).

// The exposure reads of a worker node `n`, shared by the exposure rows and the lease gate.
/** Node `n`'s bonded stake (null before its stake account exists). */
export const BONDED = sqlFragment`(SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':stake')`;
const IN_FLIGHT = sqlFragment`coalesce((SELECT sum(least(j.price - j.royalty, CASE WHEN j.unit_price IS NULL THEN j.price - j.royalty
                         ELSE div(j.cost_milli_cu::numeric * j.unit_price + 999, 1000)::bigint END))
                FROM jobs j WHERE j.node_id = n.id AND j.state IN ('assigned', 'running') AND j.pinned_node_id IS NULL),
               0)::bigint`;
const HELD = sqlFragment`coalesce((SELECT sum(h.charge) FROM held_earnings h WHERE h.node_id = n.id AND h.state = 'held'), 0)::bigint`;
/** Proven frauds of node `n`'s provider: one per slash of any of its nodes (standing/provider-frauds.ts counts them for many). */
export const PROVIDER_FRAUDS = sqlFragment`(SELECT count(*) FROM slashes s JOIN nodes o ON o.id = s.node_id WHERE o.org_id = n.org_id)::int`;

/** Whether node `n` has an open dispute about one of its results (no customer jobs until it is settled). */
export const DISPUTE = sqlFragment`EXISTS (SELECT 1 FROM checks c
              WHERE c.subject_node_id = n.id AND c.kind = 'dispute' AND c.status IN ('queued', 'leased'))`;

/** One worker node with what the exposure rules read. A ledger account that does not exist yet reads null. */
export interface NodeExposureDbRow {
  id: string;
  org_id: string;
  bonded: bigint | null;
  unbonding: bigint | null;
  in_flight: bigint;
  held: bigint;
  /** Balance of its `node:<id>:held` account. */
  held_earnings: bigint | null;
  /** Checks it passed as a worker. */
  passed: number;
  /** An open dispute about one of its results. */
  dispute: boolean;
}

/** Exposure rows of every worker node of the given providers, or only of `nodeIds`. */
export async function loadNodeExposureRows(
  db: Db,
  opts: { orgIds: readonly string[]; nodeIds?: readonly string[] },
): Promise<NodeExposureDbRow[]> {
  if (opts.orgIds.length === 0) return [];
  const only = opts.nodeIds ? [...opts.nodeIds] : null;
  return queryFragment<NodeExposureDbRow[]>(
    db,
    sqlFragment`
    SELECT n.id, n.org_id, ${BONDED} AS bonded,
      (SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':unbonding') AS unbonding,
      (SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':held') AS held_earnings,
      ${IN_FLIGHT} AS in_flight, ${HELD} AS held,
      (SELECT count(*) FROM node_verdicts v WHERE v.node_id = n.id AND v.role = 'worker' AND v.verdict = 'pass')::int AS passed,
      ${DISPUTE} AS dispute
    FROM nodes n
    WHERE n.org_id = ANY(${[...opts.orgIds]}::uuid[]) AND n.role = 'worker' AND (${only}::uuid[] IS NULL OR n.id = ANY(${only}::uuid[]))`,
  );
}

/** What a lease asks of one worker node before it claims (the lease gate), in one statement. */
export interface LeaseStandingDbRow {
  bonded: bigint | null;
  in_flight: bigint;
  held: bigint;
  dispute: boolean;
  /** Proven frauds of its provider (slashes of any of its nodes). */
  frauds: number;
  /** A job is offered to it: without one, a lease has nothing to claim. */
  offered: boolean;
}

/**
 * The lease gate's reads for one node: its stake, exposure and open dispute (as
 * loadNodeExposureRows), its provider's frauds (as countProviderFrauds), and whether any job
 * is offered to it, so a lease that would find nothing skips the claim. Null for an unknown
 * node or one that is not a worker.
 */
export async function loadLeaseStanding(db: Db, node: { id: string; orgId: string }): Promise<LeaseStandingDbRow | null> {
  const rows = await queryFragment<LeaseStandingDbRow[]>(
    db,
    sqlFragment`
    SELECT ${BONDED} AS bonded, ${IN_FLIGHT} AS in_flight, ${HELD} AS held, ${DISPUTE} AS dispute,
      ${PROVIDER_FRAUDS} AS frauds,
      EXISTS (SELECT 1 FROM jobs j WHERE j.node_id = n.id AND j.state = 'assigned') AS offered
    FROM nodes n
    WHERE n.id = ${node.id}::uuid AND n.org_id = ${node.orgId}::uuid AND n.role = 'worker'`,
  );
  return rows[0] ?? null;
}
