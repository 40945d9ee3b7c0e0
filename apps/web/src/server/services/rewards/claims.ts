import { LedgerError, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import {
  insertRewardClaim,
  listOrgClaims,
  loadClaimByKey,
  lockOrgForClaim,
  type RewardClaimKind,
  type RewardClaimRow,
  sumClaimsByHour,
} from "@proofgrid/db/rewards/reward-claims";
import {
  isOrgGrant,
  listRecentGrants,
  loadOpenGrants,
  lockOpenGrants,
  type RewardGrantRow,
  type RewardRole,
  releaseFromGrants,
  sumGrantsByVestHour,
  sumOrgGrants,
} from "@proofgrid/db/rewards/reward-grants";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { formatTokens } from "../billing/tokens.ts";
import { getRewardsConfig } from "./rewards-config.ts";
import { claimableAt, earlyClaimOf, type GrantState, vestedAt } from "./schedule.ts";
import { isUniqueViolation } from "@proofgrid/db/db-errors";

/**
 * Claims of epoch rewards (issue 13 item 3). A grant vests linearly; a *vested* claim moves
 * what has vested (all of it, or `amount` of it, oldest grants first) from the emission pool
 * to the organisation's earnings; an *early* claim takes everything left at once, the
 * unvested part less the configured haircut, and the haircut goes back to the pool:
 *   emission_pool −gross, org earnings +paid, emission_pool +haircut   (one transfer)
 * The claim row, the grants' `released`/`forfeited` and the transfer commit together; the
 * same idempotency key returns the first claim and pays nothing again.
 */

export type ClaimKind = RewardClaimKind;

export interface ClaimView {
  id: string;
  kind: ClaimKind;
  grantId: string | null;
  /** Base units, as decimal strings. */
  requested: string | null;
  gross: string;
  paid: string;
  haircut: string;
  createdAt: Date;
}

const claimView = (r: RewardClaimRow): ClaimView => ({
  id: r.id,
  kind: r.kind,
  grantId: r.grant_id,
  requested: r.requested === null ? null : BigInt(r.requested).toString(),
  gross: BigInt(r.gross).toString(),
  paid: BigInt(r.paid).toString(),
  haircut: BigInt(r.haircut).toString(),
  createdAt: r.created_at,
});

const state = (r: RewardGrantRow): GrantState & { id: string } => ({
  id: r.id,
  amount: BigInt(r.amount),
  vestStartMs: r.vest_start.getTime(),
  vestEndMs: r.vest_end.getTime(),
  released: BigInt(r.released),
  forfeited: BigInt(r.forfeited),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface GrantView {
  id: string;
  epoch: number;
  role: RewardRole;
  /** Base units, as decimal strings. */
  amount: string;
  basis: string;
  vested: string;
  claimable: string;
  released: string;
  forfeited: string;
  vestStart: Date;
  vestEnd: Date;
}

export interface RewardsSeriesPoint {
  at: Date;
  /** Cumulative base units (decimal strings): granted, vested (of what was granted) and claimed (paid). */
  granted: string;
  vested: string;
  claimed: string;
}

export interface RewardsOverview {
  /** Base units, as decimal strings. */
  granted: string;
  /** Vested and not yet claimed: what a vested claim pays now. */
  claimable: string;
  unvested: string;
  /** Paid to earnings by claims so far. */
  claimed: string;
  /** Given up to the emission pool by early claims. */
  forfeited: string;
  /** An early claim of everything now: what it pays and the haircut. */
  earlyClaim: { paid: string; haircut: string };
  haircutBps: number;
  vestingDays: number;
  /** When the last of the grants has vested (null: no open grant). */
  fullyVestedAt: Date | null;
  grants: GrantView[];
  claims: ClaimView[];
  series: RewardsSeriesPoint[];
  asOf: Date;
}

const SERIES_POINTS = 48;

/** The organisation's rewards at `now`: totals, the newest grants and claims, and the chart's series
 * (SERIES_POINTS evenly spaced from the first grant to the end of vesting, and `now`). */
export async function getRewards(opts: { orgId: string; now?: Date; limit?: number }): Promise<RewardsOverview> {
  const config = getRewardsConfig();
  const now = opts.now ?? new Date();
  const at = now.getTime();
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 20), 1), 100);
  const orgId = opts.orgId;
  const [totals, open, recent, claims, byHour, claimsByHour] = await Promise.all([
    sumOrgGrants(sql(), { orgId }),
    loadOpenGrants(sql(), { orgId }),
    listRecentGrants(sql(), { orgId, limit }),
    listOrgClaims(sql(), { orgId, limit }),
    // The chart: grants grouped by the hour they start vesting (a bounded number of rows).
    sumGrantsByVestHour(sql(), { orgId }),
    sumClaimsByHour(sql(), { orgId }),
  ]);
  const granted = BigInt(totals.granted ?? 0);
  const released = BigInt(totals.released ?? 0);
  const forfeited = BigInt(totals.forfeited ?? 0);
  let claimable = 0n;
  let unvested = 0n;
  let earlyPaid = 0n;
  let earlyHaircut = 0n;
  let fullyVestedMs = 0;
  for (const r of open) {
    const g = state(r);
    const c = claimableAt(g, at);
    claimable += c;
    unvested += g.amount - g.released - g.forfeited - c;
    const e = earlyClaimOf(g, at, config.haircutBps);
    earlyPaid += e.paid;
    earlyHaircut += e.haircut;
    fullyVestedMs = Math.max(fullyVestedMs, g.vestEndMs);
  }

  // Series: from the first grant to the end of the last one's vesting, SERIES_POINTS points.
  const series: RewardsSeriesPoint[] = [];
  if (byHour.length > 0) {
    const from = Math.min(...byHour.map((b) => Number(b.start_ms)));
    const to = Math.max(at, ...byHour.map((b) => Number(b.end_ms)));
    const step = Math.max(1, (to - from) / (SERIES_POINTS - 1));
    // Evenly spaced, plus the present moment itself (where the past meets the projection).
    const times = [...new Set([...Array.from({ length: SERIES_POINTS }, (_, i) => Math.round(from + i * step)), at])].sort((x, y) => x - y);
    for (const t of times) {
      let g = 0n;
      let v = 0n;
      for (const b of byHour) {
        const start = Number(b.start_ms);
        if (start > t) continue;
        const amount = BigInt(b.amount);
        g += amount;
        // What was claimed early counts as vested from then on (it left the grant).
        const linear = vestedAt({ amount, vestStartMs: start, vestEndMs: Number(b.end_ms) }, t);
        const settled = t >= at ? BigInt(b.settled) : 0n;
        v += linear > settled ? linear : settled;
      }
      let c = 0n;
      for (const p of claimsByHour) if (Number(p.at_ms) <= t) c += BigInt(p.paid);
      series.push({ at: new Date(t), granted: g.toString(), vested: v.toString(), claimed: c.toString() });
    }
  }

  return {
    granted: granted.toString(),
    claimable: claimable.toString(),
    unvested: unvested.toString(),
    claimed: released.toString(),
    forfeited: forfeited.toString(),
    earlyClaim: { paid: earlyPaid.toString(), haircut: earlyHaircut.toString() },
    haircutBps: Number(config.haircutBps),
    vestingDays: config.vestingMs / 86_400_000,
    fullyVestedAt: open.length > 0 ? new Date(fullyVestedMs) : null,
    grants: recent.map((r) => {
      const g = state(r);
      return {
        id: r.id,
        epoch: r.epoch,
        role: r.role,
        amount: g.amount.toString(),
        basis: BigInt(r.basis).toString(),
        vested: vestedAt(g, at).toString(),
        claimable: claimableAt(g, at).toString(),
        released: g.released.toString(),
        forfeited: g.forfeited.toString(),
        vestStart: r.vest_start,
        vestEnd: r.vest_end,
      };
    }),
    claims: claims.map(claimView),
    series,
    asOf: now,
  };
}

export interface ClaimRequest {
  orgId: string;
  userId: string | null;
  kind: ClaimKind;
  /** Claim from this grant only (it must be the organisation's). */
  grantId?: string | null;
  /** Vested claims: this much of what has vested (base units); else all of it. */
  amount?: bigint | null;
  /** Early claims: the haircut the provider was shown and accepted; a larger one now answers 409. */
  expectedHaircut?: bigint | null;
  idempotencyKey?: string | null;
  /** The moment vesting is computed at (tests); the clock otherwise. */
  now?: Date;
}

/** Claims rewards: see the top of this file. 409 when there is nothing to claim. */
export async function claimRewards(req: ClaimRequest): Promise<{ claim: ClaimView; created: boolean }> {
  const config = getRewardsConfig();
  if (req.kind !== "vested" && req.kind !== "early") throw new AppError("BAD_REQUEST", 'kind must be "vested" or "early"');
  const grantId = req.grantId ?? null;
  if (grantId !== null && !UUID.test(grantId)) throw new AppError("NOT_FOUND", "reward grant not found");
  const amount = req.amount ?? null;
  if (amount !== null) {
    if (req.kind === "early") throw new AppError("BAD_REQUEST", "an early claim takes everything left: send no amount");
    if (amount <= 0n) throw new AppError("BAD_REQUEST", "amount must be positive");
    if (amount > 10n ** 18n) throw new AppError("BAD_REQUEST", "amount is too large");
  }
  const key = req.idempotencyKey ?? null;
  if (key !== null && (key.length === 0 || key.length > 200))
    throw new AppError("BAD_REQUEST", "idempotency key must be 1 to 200 characters");
  const at = (req.now ?? new Date()).getTime();

  const existing = async (db = sql()): Promise<{ claim: ClaimView; created: boolean } | null> => {
    if (key === null) return null;
    const r = await loadClaimByKey(db, { orgId: req.orgId, idempotencyKey: key });
    if (!r) return null;
    const sameAmount = (r.requested === null ? null : BigInt(r.requested)) === amount;
    if (r.kind !== req.kind || r.grant_id !== grantId || !sameAmount) {
      throw new AppError("UNPROCESSABLE", "this idempotency key was used for another claim");
    }
    return { claim: claimView(r), created: false };
  };
  const earlier = await existing();
  if (earlier) return earlier;

  try {
    return await sqlTransaction(async (tx) => {
      // The organisation's row serialises its claims (and the grants' rows are locked too).
      if (!(await lockOrgForClaim(tx, { orgId: req.orgId }))) throw new AppError("NOT_FOUND", "organisation not found");
      // A retry that waited on the lock above for the first request with its key: its answer.
      const first = await existing(tx);
      if (first) return first;
      if (grantId !== null) {
        // Another organisation's grant is answered exactly like one that does not exist.
        if (!(await isOrgGrant(tx, { orgId: req.orgId, grantId }))) throw new AppError("NOT_FOUND", "reward grant not found");
      }
      const grants = (await lockOpenGrants(tx, { orgId: req.orgId, grantId })).map(state);

      // What each grant gives: [id, paid, haircut].
      const takes: { id: string; paid: bigint; haircut: bigint }[] = [];
      if (req.kind === "vested") {
        const claimable = grants.reduce((a, g) => a + claimableAt(g, at), 0n);
        if (claimable === 0n) {
          throw new AppError(
            "CONFLICT",
            grants.length === 0 ? "nothing to claim: no open reward grants" : "nothing to claim yet: nothing more has vested",
            {
              claimable: "0",
            },
          );
        }
        if (amount !== null && amount > claimable) {
          throw new AppError("CONFLICT", `only ${formatTokens(claimable)} tokens (${claimable} base units) have vested and are unclaimed`, {
            claimable: claimable.toString(),
          });
        }
        let left = amount ?? claimable;
        for (const g of grants) {
          if (left === 0n) break;
          const c = claimableAt(g, at);
          const take = c < left ? c : left;
          if (take > 0n) takes.push({ id: g.id, paid: take, haircut: 0n });
          left -= take;
        }
      } else {
        for (const g of grants) {
          const e = earlyClaimOf(g, at, config.haircutBps);
          if (e.gross > 0n) takes.push({ id: g.id, paid: e.paid, haircut: e.haircut });
        }
        if (takes.length === 0) throw new AppError("CONFLICT", "nothing to claim: no open reward grants", { claimable: "0" });
      }
      const paid = takes.reduce((a, t) => a + t.paid, 0n);
      const haircut = takes.reduce((a, t) => a + t.haircut, 0n);
      const gross = paid + haircut;
      // The haircut only shrinks as time passes (more has vested), unless new grants came:
      // refused only when it is more than the provider agreed to give up.
      if (req.kind === "early" && req.expectedHaircut !== undefined && req.expectedHaircut !== null && haircut > req.expectedHaircut) {
        throw new AppError(
          "CONFLICT",
          `the haircut is now ${formatTokens(haircut)} tokens (${haircut} base units), more than the ${formatTokens(req.expectedHaircut)} you confirmed: review it and confirm again`,
          { haircut: haircut.toString(), paid: paid.toString() },
        );
      }
      if (paid === 0n)
        throw new AppError("CONFLICT", "an early claim now would pay nothing (the haircut takes all of it): wait for some to vest");

      const claim = await insertRewardClaim(tx, {
        orgId: req.orgId,
        userId: req.userId,
        kind: req.kind,
        grantId,
        amount,
        gross,
        paid,
        haircut,
        idempotencyKey: key,
      });
      await releaseFromGrants(tx, { takes });
      await ensureOrgAccounts(tx, req.orgId);
      const legs = [
        { code: SYSTEM_ACCOUNTS.emissionPool.code, amount: -gross },
        { code: orgAccountCode(req.orgId, "earnings"), amount: paid },
      ];
      // The haircut's own entry: it goes back to the emission pool.
      if (haircut > 0n) legs.push({ code: SYSTEM_ACCOUNTS.emissionPool.code, amount: haircut });
      await postTransfer(tx, {
        idempotencyKey: `reward-claim:${claim.id}`,
        kind: req.kind === "early" ? "reward_claim_early" : "reward_claim",
        memo: `${req.kind} reward claim ${claim.id}: ${takes.length} grant(s)${haircut > 0n ? `, haircut ${haircut}` : ""}`,
        legs,
      });
      logger.info(
        { orgId: req.orgId, claimId: claim.id, kind: req.kind, paid: paid.toString(), haircut: haircut.toString(), grants: takes.length },
        "rewards claimed",
      );
      return { claim: claimView(claim), created: true };
    });
  } catch (err) {
    // Two requests with one key at once: the second insert lost; answer with the first.
    if (isUniqueViolation(err)) {
      const first = await existing();
      if (first) return first;
    }
    if (err instanceof LedgerError) throw new AppError("CONFLICT", `the claim could not be posted: ${err.message}`);
    throw err;
  }
}

/** The organisation's claims, newest first. */
export async function listClaims(opts: { orgId: string; limit?: number }): Promise<ClaimView[]> {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 50), 1), 100);
  const rows = await listOrgClaims(sql(), { orgId: opts.orgId, limit });
  return rows.map(claimView);
}
