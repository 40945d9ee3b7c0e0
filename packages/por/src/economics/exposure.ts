import { BPS_DENOMINATOR, DEFAULT_REWARD_SPLIT } from "../rewards/reward-split.ts";

// What a worker may hold, and what a proven fraud costs it. The value at risk on a worker is
// its exposure: the price of its jobs in flight plus the price of its settled jobs whose
// earnings are still held (inside their verification window, unverified). A fraud verdict
// claws back every held payout (w = 85 % of each settled job) and slashes the stake; the
// customers' refunds come out of those two and nothing else.
//
// Refunding every held job in full therefore needs (1 − w)·E_held of stake: the clawback pays
// the rest. A job in flight needs no refund (its customer's money is still held, and the
// job is re-queued). So a stake S covers the refunds of an exposure up to S/(1 − w) =
// 6.67·S. What the refunds leave, S·(1 − (1 − w)·k), is the slash that deters: the slash
// formula (penalties/slashing) with the clawback counted says a fake with payout g and
// compute saving c ≤ g loses money when
//
//   c − p·(g + D) ≤ 0   for every c ≤ g   ⇔   p ≥ g / (g + D)
//
// where p is the chance the job is re-executed and D what the slash can still take. The
// platform re-checks each job at least at that rate (`deterrentRecheckRate`), so a worker
// may hold any mix of jobs its exposure limit allows and faking still never pays.
//
// The exposure limit is E ≤ k·(S/m + A):
//   k  POR_EXPOSURE_FACTOR, 1 ≤ k < 1/(1 − w). At k = 1 the stake covers every held job's
//      refund beyond the clawback and leaves w·S = 0.85·S for the deterrent slash, so a job
//      paying g ≤ 0.85·S·f/(1 − f) is re-checked at the policy floor f and no more (at the 2 %
//      floor: jobs up to 1.7 % of the stake). A larger k lets a stake carry more work but
//      re-checks more of it; at k → 1/(1 − w) nothing is left for the slash and every job would
//      be re-executed.
//   m  the provider's stake multiplier: 1, doubled by each proven fraud of any of its nodes
//      (at most 16): a slashed provider needs m times the stake for the same work.
//   A  the starter allowance, per provider and shared by its nodes: exposure a provider that
//      was never slashed may hold with no stake at all (POR_STARTER_ALLOWANCE_BASE_UNITS, 5 tokens). Its
//      jobs have nothing to slash (D = 0), so the deterrent rate is 1: every starter job is
//      re-executed until the provider stakes. A slashed provider gets none.

export interface ExposurePolicy {
  /** k in basis points (10 000 = 1): exposure allowed per unit of backing. */
  factorBps: number;
  /** Exposure a never-slashed provider may hold without stake, base units, shared by its nodes. */
  starterAllowance: bigint;
  /** A slashed provider's stake counts 1/m, m = base^frauds (at most maxStakeMultiplier). */
  slashedStakeMultiplierBase: number;
  maxStakeMultiplier: number;
  /** The worker's share of a job's price (rewards/reward-split), basis points. */
  workerShareBps: number;
}

/** k = 1, 5 tokens of starter allowance, stake counted half per fraud (down to 1/16), w = 85 %. */
export const DEFAULT_EXPOSURE_POLICY: ExposurePolicy = Object.freeze({
  factorBps: BPS_DENOMINATOR,
  starterAllowance: 5_000_000n,
  slashedStakeMultiplierBase: 2,
  maxStakeMultiplier: 16,
  workerShareBps: DEFAULT_REWARD_SPLIT.worker,
});

/** The largest k (exclusive, basis points) that leaves some stake for the slash: 1/(1 − w). */
export function maxExposureFactorBps(workerShareBps: number): number {
  checkBps("workerShareBps", workerShareBps);
  if (workerShareBps === BPS_DENOMINATOR) return Number.POSITIVE_INFINITY;
  return (BPS_DENOMINATOR * BPS_DENOMINATOR) / (BPS_DENOMINATOR - workerShareBps);
}

export function checkExposurePolicy(policy: ExposurePolicy): void {
  checkBps("workerShareBps", policy.workerShareBps);
  if (
    !(
      Number.isInteger(policy.factorBps) &&
      policy.factorBps >= BPS_DENOMINATOR &&
      policy.factorBps < maxExposureFactorBps(policy.workerShareBps)
    )
  )
    throw new RangeError(
      `factorBps must be an integer in [10000, ${maxExposureFactorBps(policy.workerShareBps)}), got ${policy.factorBps}`,
    );
  if (policy.starterAllowance < 0n) throw new RangeError("starterAllowance must be ≥ 0");
  if (
    !(
      Number.isInteger(policy.slashedStakeMultiplierBase) &&
      policy.slashedStakeMultiplierBase >= 1 &&
      policy.slashedStakeMultiplierBase <= 16
    )
  )
    throw new RangeError(`slashedStakeMultiplierBase must be an integer in [1, 16], got ${policy.slashedStakeMultiplierBase}`);
  if (!(Number.isInteger(policy.maxStakeMultiplier) && policy.maxStakeMultiplier >= 1 && policy.maxStakeMultiplier <= 1024))
    throw new RangeError(`maxStakeMultiplier must be an integer in [1, 1024], got ${policy.maxStakeMultiplier}`);
}

export interface ProviderStanding {
  /** Proven frauds of any of the provider's nodes (worker or checker). */
  frauds: number;
  /** The starter allowance it may use: all of it until its first fraud, then none. */
  starterAllowance: bigint;
  /** Its stake counts 1/stakeMultiplier toward the exposure limit. */
  stakeMultiplier: number;
}

/** A provider's standing from its record of proven frauds. */
export function providerStanding(frauds: number, policy: ExposurePolicy = DEFAULT_EXPOSURE_POLICY): ProviderStanding {
  if (!(Number.isInteger(frauds) && frauds >= 0)) throw new RangeError(`frauds must be a non-negative integer, got ${frauds}`);
  const multiplier = Math.min(policy.maxStakeMultiplier, policy.slashedStakeMultiplierBase ** Math.min(frauds, 30));
  return { frauds, starterAllowance: frauds === 0 ? policy.starterAllowance : 0n, stakeMultiplier: Math.max(1, multiplier) };
}

/** Exposure a node's own bonded stake backs: k·bonded/m, rounded down. */
export function stakeBackedExposure(bonded: bigint, standing: ProviderStanding, policy: ExposurePolicy = DEFAULT_EXPOSURE_POLICY): bigint {
  if (bonded <= 0n) return 0n;
  return (bonded * BigInt(policy.factorBps)) / (BigInt(BPS_DENOMINATOR) * BigInt(standing.stakeMultiplier));
}

/** The exposure the provider's starter allowance backs for all its nodes together: k·A. */
export function allowanceBackedExposure(standing: ProviderStanding, policy: ExposurePolicy = DEFAULT_EXPOSURE_POLICY): bigint {
  return (standing.starterAllowance * BigInt(policy.factorBps)) / BigInt(BPS_DENOMINATOR);
}

/**
 * The stake left for the deterrent slash once every held job of the node's stake-backed
 * exposure is refunded beyond its clawback: bonded − ⌈(1 − w)·k·bonded/m⌉ (≥ 0).
 */
export function freeStakeForSlash(bonded: bigint, standing: ProviderStanding, policy: ExposurePolicy = DEFAULT_EXPOSURE_POLICY): bigint {
  if (bonded <= 0n) return 0n;
  const refundShare = BigInt(BPS_DENOMINATOR - policy.workerShareBps) * BigInt(policy.factorBps);
  const denominator = BigInt(BPS_DENOMINATOR) * BigInt(BPS_DENOMINATOR) * BigInt(standing.stakeMultiplier);
  const reserved = (bonded * refundShare + denominator - 1n) / denominator;
  return bonded > reserved ? bonded - reserved : 0n;
}

/**
 * Smallest re-execution rate at which faking a job that pays the worker `payout` loses money
 * when a caught fake forfeits that payout (clawback) and up to `slashable` of stake:
 * g/(g + D). 1 when nothing can be slashed (a starter job), 0 for a job that pays nothing.
 * Rounded up, so the rate a job gets is never below the bound.
 */
export function deterrentRecheckRate(payout: bigint, slashable: bigint): number {
  if (payout < 0n || slashable < 0n) throw new RangeError("payout and slashable must be ≥ 0");
  if (payout === 0n) return 0;
  if (slashable === 0n) return 1;
  // 1e9 steps: exact enough for a probability, and in bigint so huge stakes do not overflow.
  const SCALE = 1_000_000_000n;
  const scaled = (payout * SCALE + payout + slashable - 1n) / (payout + slashable);
  return Math.min(1, Number(scaled) / Number(SCALE));
}

export interface NodeExposure {
  nodeId: string;
  /** Bonded stake (not unbonding), base units. */
  bonded: bigint;
  /** Price of its jobs in flight plus its settled jobs with earnings still held. */
  exposure: bigint;
}

/**
 * One provider's exposure limits. A node's jobs are backed first by its own stake (k·S/m) and
 * then by the provider's starter allowance, which its nodes share (k·A in all). `take`
 * records a job placed on a node and refuses one that would pass the limit, so the
 * dispatcher can place a round of jobs against one book.
 */
export class ExposureBook {
  readonly #own = new Map<string, bigint>();
  readonly #used = new Map<string, bigint>();
  #poolLeft: bigint;
  /** How far the provider's nodes together are past their limit (0 unless something changed under them: an unbond, a fraud). */
  readonly #deficit: bigint;

  constructor(
    nodes: readonly NodeExposure[],
    readonly standing: ProviderStanding,
    readonly policy: ExposurePolicy = DEFAULT_EXPOSURE_POLICY,
  ) {
    let overflow = 0n;
    for (const n of nodes) {
      const own = stakeBackedExposure(n.bonded, standing, policy);
      this.#own.set(n.nodeId, own);
      this.#used.set(n.nodeId, n.exposure);
      if (n.exposure > own) overflow += n.exposure - own;
    }
    const pool = allowanceBackedExposure(standing, policy);
    this.#poolLeft = pool > overflow ? pool - overflow : 0n;
    this.#deficit = overflow > pool ? overflow - pool : 0n;
  }

  /** Whether the node holds more than its limit allows (it leans on an allowance that is used up). */
  overLimit(nodeId: string): boolean {
    return this.#deficit > 0n && (this.#used.get(nodeId) ?? 0n) > (this.#own.get(nodeId) ?? 0n);
  }

  /** Base units of price the node may still take on now. */
  headroom(nodeId: string): bigint {
    const own = this.#own.get(nodeId);
    if (own === undefined) return 0n;
    const used = this.#used.get(nodeId) ?? 0n;
    return (own > used ? own - used : 0n) + this.#poolLeft;
  }

  /** The node's limit: its own stake-backed exposure plus what is left of the pool for it. */
  limit(nodeId: string): bigint {
    const own = this.#own.get(nodeId) ?? 0n;
    const used = this.#used.get(nodeId) ?? 0n;
    return (own > used ? own : used) + this.#poolLeft;
  }

  used(nodeId: string): bigint {
    return this.#used.get(nodeId) ?? 0n;
  }

  /** What is left of the provider's shared starter allowance (as exposure). */
  poolLeft(): bigint {
    return this.#poolLeft;
  }

  /** Whether the node's exposure is carried by the starter allowance (stake covers less). */
  onAllowance(nodeId: string): boolean {
    return (this.#used.get(nodeId) ?? 0n) > (this.#own.get(nodeId) ?? 0n);
  }

  /** Records `amount` more exposure on the node; false (and nothing recorded) if it exceeds the limit. */
  take(nodeId: string, amount: bigint): boolean {
    if (amount < 0n) throw new RangeError("amount must be ≥ 0");
    if (!this.#own.has(nodeId) || amount > this.headroom(nodeId)) return false;
    const own = this.#own.get(nodeId) ?? 0n;
    const used = this.#used.get(nodeId) ?? 0n;
    const fromOwn = own > used ? (own - used < amount ? own - used : amount) : 0n;
    this.#poolLeft -= amount - fromOwn;
    this.#used.set(nodeId, used + amount);
    return true;
  }
}

export interface FraudSettlementInput {
  /** The node's held earnings: all of them are clawed back. */
  held: bigint;
  /** Its bonded plus unbonding stake: what a slash may take. */
  slashable: bigint;
  /** The deterrent slash for the proven fraud (penalties/slashing, × the safety factor). */
  deterrentSlash: bigint;
  /** What the customers paid for the wrong result and for every result the audit covers. */
  refundsNeeded: bigint;
}

export interface FraudSettlementPlan {
  clawback: bigint;
  slash: bigint;
  /** clawback + slash: every refund comes out of it; what is left goes to the treasury. */
  pot: bigint;
  /** Whether the pot refunds every covered job in full without re-executing them. */
  coversAll: boolean;
}

/**
 * What a fraud verdict takes: every held payout, and a slash of the deterrent amount or, if
 * more, what the refunds need beyond the clawback — never more than the node's stake. The
 * refunds can never exceed the pot, so they are paid from the cheater's own money and nothing
 * else (never the emission pool).
 */
export function planFraudSettlement(input: FraudSettlementInput): FraudSettlementPlan {
  for (const [k, v] of Object.entries(input)) if (typeof v !== "bigint" || v < 0n) throw new RangeError(`${k} must be a bigint ≥ 0`);
  const beyondClawback = input.refundsNeeded > input.held ? input.refundsNeeded - input.held : 0n;
  const wanted = input.deterrentSlash > beyondClawback ? input.deterrentSlash : beyondClawback;
  const slash = wanted < input.slashable ? wanted : input.slashable;
  const pot = input.held + slash;
  return { clawback: input.held, slash, pot, coversAll: pot >= input.refundsNeeded };
}

/** Refunds paid in order from `pot`: each at most its charge, together at most the pot. */
export function allocateRefunds(pot: bigint, charges: readonly bigint[]): bigint[] {
  if (pot < 0n) throw new RangeError("pot must be ≥ 0");
  let left = pot;
  return charges.map((c) => {
    if (c < 0n) throw new RangeError("a charge must be ≥ 0");
    const r = c < left ? c : left;
    left -= r;
    return r;
  });
}

function checkBps(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= BPS_DENOMINATOR)) throw new RangeError(`${name} must be an integer in [0, 10000], got ${v}`);
}
