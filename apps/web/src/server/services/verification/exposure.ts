import type { Db } from "@proofgrid/db/db-types";
import {
  allowanceBackedExposure,
  ExposureBook,
  freeStakeForSlash,
  type ProviderStanding,
  providerProbation,
  providerStanding,
  stakeBackedExposure,
} from "@proofgrid/por";
import { getPorConfig } from "./por-config.ts";

// A worker's exposure, read from the database: the charge of its customer jobs in flight
// (assigned or running; a challenge pinned to it is the platform's and is not gated) plus
// the charge of its settled jobs whose payout is still held. The charge of a job in flight
// is what settlement will take: its cost at the ask fixed at assignment, never above the
// hold (complete-job.ts).

/** One worker node of a provider, with what the exposure rules read. */
export interface NodeExposureRow {
  nodeId: string;
  orgId: string;
  bonded: bigint;
  unbonding: bigint;
  inFlight: bigint;
  held: bigint;
  /** Payouts held in its `node:<id>:held` account (the worker's share of `held`). */
  heldEarnings: bigint;
  /** Checks it passed as a worker (the probation of a slashed provider's nodes). */
  passedChecks: number;
  /** An open dispute about one of its results: it gets no customer jobs until it is settled. */
  openDispute: boolean;
}

export const nodeHeldCode = (nodeId: string) => `node:${nodeId}:held`;

/** Exposure of every worker node of the given providers, or only of `nodeIds`. */
export async function loadNodeExposures(db: Db, opts: { orgIds: readonly string[]; nodeIds?: readonly string[] }): Promise<NodeExposureRow[]> {
  if (opts.orgIds.length === 0) return [];
  const only = opts.nodeIds ? [...opts.nodeIds] : null;
  const rows = await db.$queryRaw<
    { id: string; org_id: string; bonded: bigint | null; unbonding: bigint | null; in_flight: bigint; held: bigint; held_earnings: bigint | null; passed: number; dispute: boolean }[]
  >`
    SELECT n.id, n.org_id,
      (SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':stake') AS bonded,
      (SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':unbonding') AS unbonding,
      (SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':held') AS held_earnings,
      coalesce((SELECT sum(least(j.price, CASE WHEN j.unit_price IS NULL THEN j.price
                         ELSE div(j.cost_milli_cu::numeric * j.unit_price + 999, 1000)::bigint END))
                FROM jobs j WHERE j.node_id = n.id AND j.state IN ('assigned', 'running') AND j.pinned_node_id IS NULL), 0)::bigint AS in_flight,
      coalesce((SELECT sum(h.charge) FROM held_earnings h WHERE h.node_id = n.id AND h.state = 'held'), 0)::bigint AS held,
      (SELECT count(*) FROM node_verdicts v WHERE v.node_id = n.id AND v.role = 'worker' AND v.verdict = 'pass')::int AS passed,
      EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind = 'dispute' AND c.status IN ('queued', 'leased')) AS dispute
    FROM nodes n
    WHERE n.org_id = ANY(${[...opts.orgIds]}::uuid[]) AND n.role = 'worker' AND (${only}::uuid[] IS NULL OR n.id = ANY(${only}::uuid[]))`;
  return rows.map((r) => ({
    nodeId: r.id,
    orgId: r.org_id,
    bonded: BigInt(r.bonded ?? 0n),
    unbonding: BigInt(r.unbonding ?? 0n),
    inFlight: BigInt(r.in_flight),
    held: BigInt(r.held),
    heldEarnings: BigInt(r.held_earnings ?? 0n),
    passedChecks: r.passed,
    openDispute: r.dispute,
  }));
}

/** Proven frauds per provider: one per slash (a worker's or a checker's), the provider's record. */
export async function loadProviderFrauds(db: Db, orgIds: readonly string[]): Promise<Map<string, number>> {
  if (orgIds.length === 0) return new Map();
  const rows = await db.$queryRaw<{ org_id: string; n: number }[]>`
    SELECT n.org_id, count(*)::int AS n FROM slashes s JOIN nodes n ON n.id = s.node_id
    WHERE n.org_id = ANY(${[...orgIds]}::uuid[]) GROUP BY n.org_id`;
  return new Map(rows.map((r) => [r.org_id, r.n]));
}

export interface ProviderExposure {
  orgId: string;
  standing: ProviderStanding;
  book: ExposureBook;
  nodes: Map<string, NodeExposureRow>;
}

/** Each provider's exposure book: what its nodes hold and may still take. */
export async function loadProviderExposures(db: Db, orgIds: readonly string[]): Promise<Map<string, ProviderExposure>> {
  const policy = getPorConfig().exposure;
  const unique = [...new Set(orgIds)];
  const [rows, frauds] = await Promise.all([loadNodeExposures(db, { orgIds: unique }), loadProviderFrauds(db, unique)]);
  const out = new Map<string, ProviderExposure>();
  for (const orgId of unique) {
    const nodes = rows.filter((r) => r.orgId === orgId);
    const standing = providerStanding(frauds.get(orgId) ?? 0, policy);
    const book = new ExposureBook(
      nodes.map((n) => ({ nodeId: n.nodeId, bonded: n.bonded, exposure: n.inFlight + n.held })),
      standing,
      policy,
    );
    out.set(orgId, { orgId, standing, book, nodes: new Map(nodes.map((n) => [n.nodeId, n])) });
  }
  return out;
}

/**
 * The lease path's check for one node: its open dispute, and whether it holds more than its
 * limit allows. Most leases need only the node's own row (what it holds is within what its
 * own stake backs); only a node leaning on the provider's shared allowance reads the
 * provider's other nodes.
 */
export async function nodeLeaseStanding(db: Db, node: { id: string; orgId: string }): Promise<{ openDispute: boolean; overLimit: boolean }> {
  const [row] = await loadNodeExposures(db, { orgIds: [node.orgId], nodeIds: [node.id] });
  if (!row) return { openDispute: false, overLimit: false };
  if (!exposureEnforced()) return { openDispute: row.openDispute, overLimit: false };
  const frauds = (await loadProviderFrauds(db, [node.orgId])).get(node.orgId) ?? 0;
  const policy = getPorConfig().exposure;
  const own = stakeBackedExposure(row.bonded, providerStanding(frauds, policy), policy);
  if (row.inFlight + row.held <= own) return { openDispute: row.openDispute, overLimit: false };
  const p = (await loadProviderExposures(db, [node.orgId])).get(node.orgId);
  return { openDispute: row.openDispute, overLimit: p?.book.overLimit(node.id) ?? false };
}

/** Whether exposure is enforced (POR_STAKE_REQUIRED; the older flows' tests turn it off). */
export function exposureEnforced(): boolean {
  return getPorConfig().stakeRequired;
}

/**
 * Re-check rate a job must get on this node so that faking it loses money: the sampling
 * policy's rate, the cap while the node is on a slashed provider's probation, and at least
 * g/(g + D) for the payout g with D the stake a slash can still take after refunds
 * (packages/por deterrentRecheckRate; 1 for a starter node with nothing bonded).
 */
export function probationFor(standing: ProviderStanding, passedChecks: number) {
  return providerProbation({ providerFrauds: standing.frauds, nodePassedChecks: passedChecks });
}

export function slashableForDeterrence(bonded: bigint, standing: ProviderStanding): bigint {
  return freeStakeForSlash(bonded, standing, getPorConfig().exposure);
}

export interface NodeStakeStatus {
  nodeId: string;
  /** Bonded stake: counts toward the exposure limit and is slashable. */
  bonded: string;
  /** Leaving: slashable until released, counts toward nothing. */
  unbonding: { total: string; requests: { amount: string; releaseAt: string }[] };
  exposure: {
    /** Price of its customer jobs in flight. */
    inFlight: string;
    /** Price of its settled jobs whose payout is still held. */
    held: string;
    used: string;
    /** What it may hold now: its own stake's share plus what is left of the provider's allowance. */
    limit: string;
    headroom: string;
    /** k, and the multiplier a slashed provider's stake is divided by. */
    factor: number;
    stakeMultiplier: number;
    /** Exposure its own stake backs (k·bonded/m). */
    stakeBacked: string;
  };
  starter: {
    /** The provider's allowance (0 once slashed), shared by its nodes, and what is left of it. */
    allowance: string;
    allowanceLeft: string;
    /** Whether this node now leans on the allowance (its exposure is above what its stake backs). */
    onAllowance: boolean;
  };
  provider: { frauds: number; slashed: boolean; onProbation: boolean };
  heldEarnings: { total: string; jobs: number; nextReleaseAt: string | null; lastReleaseAt: string | null; releases: { jobId: string; amount: string; releaseAt: string }[] };
  /** The provider's tokens a stake can come from: released earnings first, then credits. */
  stakeableBalance: { earnings: string; available: string };
  openDispute: boolean;
  /** Whether exposure is enforced at all (POR_STAKE_REQUIRED). */
  enforced: boolean;
}

/** Held payouts listed in the stake status (the nearest releases first). */
const MAX_RELEASES_LISTED = 20;

/** Everything a provider needs to decide on stake for one node (the portal's stake panel). */
export async function nodeStakeStatus(db: Db, opts: { orgId: string; nodeId: string }): Promise<NodeStakeStatus> {
  const config = getPorConfig();
  const providers = await loadProviderExposures(db, [opts.orgId]);
  const p = providers.get(opts.orgId);
  const node = p?.nodes.get(opts.nodeId);
  // A checker has no exposure: report its stake with zeros.
  const standing = p?.standing ?? providerStanding(0, config.exposure);
  const [unbonds, held, balances] = await Promise.all([
    db.$queryRaw<{ amount: bigint; release_at: Date }[]>`
      SELECT amount, release_at FROM unbond_requests WHERE node_id = ${opts.nodeId}::uuid AND released_at IS NULL ORDER BY release_at LIMIT 50`,
    db.$queryRaw<{ job_id: string; amount: bigint; release_at: Date; n: number; total: bigint; last_release: Date | null }[]>`
      SELECT h.job_id, h.amount, h.release_at, t.n, t.total, t.last_release
      FROM (SELECT count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS total, max(release_at) AS last_release
            FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held') t
      LEFT JOIN LATERAL (SELECT job_id, amount, release_at FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held'
                         ORDER BY release_at LIMIT ${MAX_RELEASES_LISTED}) h ON true`,
    db.$queryRaw<{ code: string; balance: bigint }[]>`
      SELECT code, balance FROM ledger_accounts WHERE code IN (${`org:${opts.orgId}:earnings`}, ${`org:${opts.orgId}:available`}, ${`node:${opts.nodeId}:stake`}, ${`node:${opts.nodeId}:unbonding`})`,
  ]);
  const bal = new Map(balances.map((b) => [b.code, BigInt(b.balance)]));
  const bonded = node?.bonded ?? bal.get(`node:${opts.nodeId}:stake`) ?? 0n;
  const inFlight = node?.inFlight ?? 0n;
  const heldCharge = node?.held ?? 0n;
  const used = inFlight + heldCharge;
  const book = p?.book;
  const limit = book && node ? book.limit(opts.nodeId) : 0n;
  const first = held[0];
  return {
    nodeId: opts.nodeId,
    bonded: bonded.toString(),
    unbonding: {
      total: (node?.unbonding ?? bal.get(`node:${opts.nodeId}:unbonding`) ?? 0n).toString(),
      requests: unbonds.map((u) => ({ amount: BigInt(u.amount).toString(), releaseAt: u.release_at.toISOString() })),
    },
    exposure: {
      inFlight: inFlight.toString(),
      held: heldCharge.toString(),
      used: used.toString(),
      limit: limit.toString(),
      headroom: (book && node ? book.headroom(opts.nodeId) : 0n).toString(),
      factor: config.exposure.factorBps / 10_000,
      stakeMultiplier: standing.stakeMultiplier,
      stakeBacked: stakeBackedExposure(bonded, standing, config.exposure).toString(),
    },
    starter: {
      allowance: allowanceBackedExposure(standing, config.exposure).toString(),
      allowanceLeft: (book?.poolLeft() ?? 0n).toString(),
      onAllowance: book && node ? book.onAllowance(opts.nodeId) : false,
    },
    provider: {
      frauds: standing.frauds,
      slashed: standing.frauds > 0,
      onProbation: probationFor(standing, node?.passedChecks ?? 0).onProbation,
    },
    heldEarnings: {
      total: BigInt(first?.total ?? 0n).toString(),
      jobs: first?.n ?? 0,
      nextReleaseAt: first?.release_at?.toISOString() ?? null,
      lastReleaseAt: first?.last_release?.toISOString() ?? null,
      releases: held
        .filter((h) => h.job_id)
        .map((h) => ({ jobId: h.job_id, amount: BigInt(h.amount).toString(), releaseAt: h.release_at.toISOString() })),
    },
    stakeableBalance: {
      earnings: (bal.get(`org:${opts.orgId}:earnings`) ?? 0n).toString(),
      available: (bal.get(`org:${opts.orgId}:available`) ?? 0n).toString(),
    },
    openDispute: node?.openDispute ?? false,
    enforced: exposureEnforced(),
  };
}

/** A worker's stake in the provider portal's lists: bonded, unbonding, and its exposure. */
export interface WorkerStakeSummary {
  bonded: string;
  unbonding: string;
  /** The stake that would back what it holds now with no allowance: ⌈used·m/k⌉. */
  required: string;
  /** It can take another job (exposure below its limit); always true when not enforced. */
  sufficient: boolean;
  exposureUsed: string;
  exposureLimit: string;
  heldEarnings: string;
  onAllowance: boolean;
}

export async function workerStakeSummaries(db: Db, orgId: string): Promise<Map<string, WorkerStakeSummary>> {
  const config = getPorConfig();
  const p = (await loadProviderExposures(db, [orgId])).get(orgId);
  const out = new Map<string, WorkerStakeSummary>();
  if (!p) return out;
  for (const [id, n] of p.nodes) {
    const used = n.inFlight + n.held;
    const per = BigInt(config.exposure.factorBps);
    const required = (used * 10_000n * BigInt(p.standing.stakeMultiplier) + per - 1n) / per;
    out.set(id, {
      bonded: n.bonded.toString(),
      unbonding: n.unbonding.toString(),
      required: required.toString(),
      sufficient: !exposureEnforced() || p.book.headroom(id) > 0n,
      exposureUsed: used.toString(),
      exposureLimit: p.book.limit(id).toString(),
      heldEarnings: n.heldEarnings.toString(),
      onAllowance: p.book.onAllowance(id),
    });
  }
  return out;
}
