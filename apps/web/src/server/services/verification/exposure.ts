import type { Db } from "@proofgrid/db/db-types";
import { loadHeldEarningsReleases } from "@proofgrid/db/stakes/held-earnings";
import { loadLeaseStanding, loadNodeExposureRows } from "@proofgrid/db/stakes/node-exposures";
import { loadStakePanelBalances } from "@proofgrid/db/stakes/stake-balances";
import { loadOpenUnbondRequests } from "@proofgrid/db/stakes/unbond-requests";
import { countProviderFrauds } from "@proofgrid/db/standing/provider-frauds";
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

// A worker's exposure, read from the database (packages/db stakes/node-exposures.ts): the
// charge of its customer jobs in flight plus the charge of its settled jobs whose payout is
// still held.

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
export async function loadNodeExposures(
  db: Db,
  opts: { orgIds: readonly string[]; nodeIds?: readonly string[] },
): Promise<NodeExposureRow[]> {
  const rows = await loadNodeExposureRows(db, opts);
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
  return countProviderFrauds(db, { orgIds });
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
export async function nodeLeaseStanding(
  db: Db,
  node: { id: string; orgId: string },
): Promise<{ openDispute: boolean; overLimit: boolean; offered: boolean }> {
  // Every lease asks this: the node's exposure, its provider's frauds and whether a job is
  // offered to it, in one statement.
  const row = await loadLeaseStanding(db, node);
  if (!row) return { openDispute: false, overLimit: false, offered: false };
  const openDispute = row.dispute;
  const offered = row.offered;
  if (!exposureEnforced()) return { openDispute, overLimit: false, offered };
  const policy = getPorConfig().exposure;
  const own = stakeBackedExposure(BigInt(row.bonded ?? 0n), providerStanding(row.frauds, policy), policy);
  if (BigInt(row.in_flight) + BigInt(row.held) <= own) return { openDispute, overLimit: false, offered };
  const p = (await loadProviderExposures(db, [node.orgId])).get(node.orgId);
  return { openDispute, overLimit: p?.book.overLimit(node.id) ?? false, offered };
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
  heldEarnings: {
    total: string;
    jobs: number;
    nextReleaseAt: string | null;
    lastReleaseAt: string | null;
    releases: { jobId: string; amount: string; releaseAt: string }[];
  };
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
    loadOpenUnbondRequests(db, { nodeId: opts.nodeId }),
    loadHeldEarningsReleases(db, { nodeId: opts.nodeId, limit: MAX_RELEASES_LISTED }),
    loadStakePanelBalances(db, { orgId: opts.orgId, nodeId: opts.nodeId }),
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
      // The totals row of a node with nothing held has no payout.
      releases: held.flatMap((h) =>
        h.job_id && h.amount !== null && h.release_at
          ? [{ jobId: h.job_id, amount: BigInt(h.amount).toString(), releaseAt: h.release_at.toISOString() }]
          : [],
      ),
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
