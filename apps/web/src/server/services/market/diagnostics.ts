import { loadDiagnosedNode, loadSmallestHeldCharge } from "@proofgrid/db/market/diagnosed-node";
import {
  countNodePlacements,
  loadModelDemand,
  loadRecentModelJobs,
  loadWinningPrices,
  type RecentModelJobRow,
} from "@proofgrid/db/market/recent-market-jobs";
import { sql } from "@proofgrid/db/sql-client";
import { DEFAULT_WEIGHTS, resolveOptions, TERM_NAMES, type TermName, type Worker } from "@proofgrid/indexer";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { indexerWorker, regionLocation } from "../dispatch/network.ts";
import { DEFAULT_PENALTY_LADDER, isCustomModelSlug } from "@proofgrid/por";
import { formatTokens } from "../billing/get-balance.ts";
import { priceForCost } from "../billing/pricing.ts";
import { exposureEnforced, loadProviderExposures, probationFor } from "../verification/exposure.ts";
import { feedHorizon } from "../network/feed-horizon.ts";
import { isNodeId } from "./ask-price.ts";
import { ALL_JOB_STATES, liveNetwork, MARKET_WINDOW_MS, meanSelections } from "./live-network.ts";
import { analyseRecentJobs, type PlacementAnalysis, type RecentJob, termsLostOn } from "./placement-analysis.ts";
import { quantile, quantileBig } from "./stats.ts";

/** Recent jobs re-run through the filters: enough for shares in whole percent, bounded work. */
const MAX_JOBS_ANALYSED = 200;
/** Winning prices read for the market median. */
const MAX_WINNING_PRICES = 1_000;
/** Jobs read for the demand per model. */
const MAX_DEMAND_JOBS = 10_000;

export type ReasonCode =
  | "offline"
  | "paused"
  | "quarantined"
  | "open_dispute"
  | "exposure_limit"
  | "starter_limit"
  | "probation"
  | "price_above_market"
  | "missing_model"
  | "low_reputation"
  | "region_no_demand"
  | "outscored"
  | "busy"
  | "ok";

export interface Reason {
  code: ReasonCode;
  message: string;
  detail: Record<string, unknown>;
}

export interface NodeDiagnostics {
  nodeId: string;
  online: boolean;
  status: string;
  region: string;
  askPricePerCu: string;
  windowMs: number;
  /** Jobs placed on it in the window (challenges aside). */
  chosen: number;
  /** Jobs whose stored placement names it as the runner-up. */
  runnerUp: number;
  /** The recent jobs of its models put to it again (placement-analysis.ts). */
  analysis: Omit<PlacementAnalysis, "meanDeficit"> & { lostOn: { term: TermName; meanDeficit: number }[] };
  reasons: Reason[];
}

/**
 * Why a provider's worker gets no (or few) jobs: its state (offline, quarantined, stake),
 * and what the last hour's jobs of its models say when put to it again through the
 * indexer's filters and score. Another provider's node answers 404, like a missing one.
 */
export async function getNodeDiagnostics(opts: { orgId: string; nodeId: string }): Promise<NodeDiagnostics> {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "node not found");
  const node = await loadDiagnosedNode(sql(), { orgId: opts.orgId, nodeId: opts.nodeId });
  if (!node) throw new AppError("NOT_FOUND", "node not found");
  if (node.role !== "worker") throw new AppError("BAD_REQUEST", "diagnostics are for workers: a checker takes no jobs");

  const windowMs = MARKET_WINDOW_MS;
  // The provider's own view, yet a cheating provider would poll it after each lease: jobs
  // count only once their bucket closed the public feeds' delay ago, and the worker's own
  // count holds every job it was given, challenge or not (issue 12).
  const horizon = feedHorizon();
  const db = sql();
  const [network, providers, jobs, counts, wins, demand] = await Promise.all([
    liveNetwork(),
    loadProviderExposures(sql(), [node.org_id]),
    loadRecentModelJobs(db, { jobStates: ALL_JOB_STATES, windowMs, horizon, modelIds: node.models, limit: MAX_JOBS_ANALYSED }),
    countNodePlacements(db, { jobStates: ALL_JOB_STATES, windowMs, horizon, nodeId: node.id, modelIds: node.models }),
    loadWinningPrices(db, { jobStates: ALL_JOB_STATES, windowMs, nodeId: node.id, modelIds: node.models, limit: MAX_WINNING_PRICES }),
    loadModelDemand(db, { jobStates: ALL_JOB_STATES, windowMs, horizon, orgId: node.org_id, limit: MAX_DEMAND_JOBS }),
  ]);

  const listPrice = BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  const live = network.find((w) => w.id === node.id);
  const provider = providers.get(node.org_id);
  const exposure = provider?.nodes.get(node.id);
  const book = provider?.book;
  const headroom = book ? book.headroom(node.id) : 0n;
  const worker: Worker =
    live ?? indexerWorker(node, { bonded: exposure?.bonded ?? 0n, sufficient: !exposureEnforced() || headroom > 0n }, listPrice);
  const o = resolveOptions();
  const analysis = analyseRecentJobs({
    worker,
    jobs: jobs.map((j) => recentJob(j, listPrice)),
    others: network,
    opts: o,
    meanSelections: (m) => meanSelections(network, m),
  });
  const lostOn = termsLostOn(analysis.meanDeficit).map((term) => ({ term, meanDeficit: round(analysis.meanDeficit[term]) }));

  const reasons: Reason[] = [];
  const add = (code: ReasonCode, message: string, detail: Record<string, unknown> = {}) => reasons.push({ code, message, detail });
  const ask = worker.askPerCuBaseUnits;

  if (node.status === "offline") {
    add(
      "offline",
      `This node is offline (last heard from ${node.last_seen_at?.toISOString() ?? "never"}): start its worker daemon; jobs go only to online workers.`,
      {
        lastSeenAt: node.last_seen_at?.toISOString() ?? null,
      },
    );
  }
  if (node.paused_at) {
    add(
      "paused",
      `You paused this worker (${node.paused_at.toISOString().slice(0, 16).replace("T", " ")} UTC): nothing new is placed on it, and the jobs it held finish as usual. Resume it on its page (or PATCH /api/v1/nodes/${node.id} with {"paused": false}) to take work again.`,
      { pausedAt: node.paused_at.toISOString() },
    );
  }
  if (node.status === "quarantined") {
    add(
      "quarantined",
      `This node is quarantined: ${node.quarantine_reason ?? "no reason recorded"}. It runs only the checks pinned to it until it passes them.`,
      {
        quarantineReason: node.quarantine_reason,
      },
    );
  }
  if (exposure?.openDispute) {
    add(
      "open_dispute",
      "A checker disagreed with one of its results and an independent executor is deciding who was right: it gets no customer jobs until the dispute is settled (within the dispute deadline; the platform re-executes the job itself if no checker can).",
      {},
    );
  }
  if (exposureEnforced() && book && exposure && node.status !== "quarantined") {
    // What would the jobs it could get cost? The smallest recent job of its models at its ask.
    // Jobs younger than the feeds' delay are not counted above; then the smallest charge it
    // already holds (its own settled jobs: nothing it has not seen) stands in for them.
    const smallest = jobs.length > 0 ? jobs.reduce((m, j) => Math.min(m, j.cost_milli_cu), Number.POSITIVE_INFINITY) : null;
    const ownSmallest = () => loadSmallestHeldCharge(db, { nodeId: node.id });
    const smallestCharge =
      smallest !== null && Number.isFinite(smallest) ? priceForCost(smallest, worker.askPerCuBaseUnits) : await ownSmallest();
    const limited = headroom <= 0n || (smallestCharge !== null && headroom < smallestCharge);
    if (limited) {
      const used = exposure.inFlight + exposure.held;
      const detail = {
        exposureUsed: used.toString(),
        exposureLimit: book.limit(node.id).toString(),
        headroom: headroom.toString(),
        inFlight: exposure.inFlight.toString(),
        held: exposure.held.toString(),
        bonded: exposure.bonded.toString(),
        starterAllowance: provider?.standing.starterAllowance.toString() ?? "0",
        allowanceLeft: book.poolLeft().toString(),
        stakeMultiplier: provider?.standing.stakeMultiplier ?? 1,
        smallestJobCharge: smallestCharge?.toString() ?? null,
      };
      const why = `It holds ${formatTokens(used)} tokens of jobs (${formatTokens(exposure.inFlight)} in flight, ${formatTokens(exposure.held)} settled with earnings held until their verification window closes) against a limit of ${formatTokens(book.limit(node.id))}`;
      const fix = `Stake more (POST /api/v1/nodes/${node.id}/stake; released earnings can be staked), or wait for held earnings to be released.`;
      if (exposure.bonded === 0n && (provider?.standing.starterAllowance ?? 0n) > 0n) {
        add(
          "starter_limit",
          `${why}: its provider's starter allowance of ${formatTokens(provider?.standing.starterAllowance ?? 0n)} tokens (shared by its workers, no stake needed) is used up. ${fix}`,
          detail,
        );
      } else {
        const slashed =
          (provider?.standing.frauds ?? 0) > 0
            ? ` Its provider was proven fraudulent ${provider?.standing.frauds} time(s), so its stake counts 1/${provider?.standing.stakeMultiplier} and it has no starter allowance.`
            : "";
        add("exposure_limit", `${why}, which is what its stake backs.${slashed} ${fix}`, detail);
      }
    }
  }
  if (provider && exposure && probationFor(provider.standing, exposure.passedChecks).onProbation) {
    add(
      "probation",
      `Its provider was proven fraudulent, so this node is on probation until it passes ${DEFAULT_PENALTY_LADDER.window - Math.min(DEFAULT_PENALTY_LADDER.window, exposure.passedChecks)} more checks: its allocation is capped at a quarter and every job is re-checked at the highest rate.`,
      { passedChecks: exposure.passedChecks, providerFrauds: provider.standing.frauds },
    );
  }

  const winningAsks = wins.map((w) => BigInt(w.unit_price));
  const medianWin = quantileBig(winningAsks, 0.5);
  const capBelowAsk = analysis.eliminated.price;
  // Caps below every worker's ask are the customers' to raise (their quotes say so): only
  // jobs another worker took at a lower ask, or an ask above what won, make it expensive.
  if (analysis.lostOnPrice > 0 || (medianWin !== null && ask > medianWin)) {
    const parts: string[] = [];
    if (capBelowAsk > 0)
      parts.push(
        `${capBelowAsk} of the ${analysis.jobsAnalysed} recent jobs for its models capped the price below it (${analysis.lostOnPrice} of them could go to a cheaper worker)`,
      );
    if (medianWin !== null) parts.push(`the median ask that won a job for its models was ${medianWin} (${winningAsks.length} jobs)`);
    add(
      "price_above_market",
      `Its ask of ${ask} base units per CU is above the market: ${parts.join("; ")}. Lower it with PATCH /api/v1/nodes/${node.id}.`,
      {
        askPricePerCu: ask.toString(),
        medianWinningAskPerCu: medianWin?.toString() ?? null,
        winningJobs: winningAsks.length,
        jobsAnalysed: analysis.jobsAnalysed,
        jobsCapBelowAsk: capBelowAsk,
        jobsLostToCheaperWorkers: analysis.lostOnPrice,
        shareCapBelowAsk: analysis.jobsAnalysed > 0 ? round(capBelowAsk / analysis.jobsAnalysed) : 0,
      },
    );
  }

  const served = new Set(node.models);
  // A worker that opted in (ACCEPT_CUSTOM_MODELS=1) serves every uploaded model (issue 17).
  const serves = (d: { model_id: string; slug: string | null }) =>
    served.has(d.model_id) || (node.accepts_custom_models && isCustomModelSlug(d.slug ?? ""));
  const missing = demand.filter((d) => !serves(d) && d.jobs > 0);
  if (missing.length > 0) {
    const total = missing.reduce((s, d) => s + d.jobs, 0);
    const list = missing.slice(0, 10).map((d) => ({ model: d.slug ?? d.model_id, modelId: d.model_id, jobs: d.jobs }));
    const uploaded = missing.filter((d) => isCustomModelSlug(d.slug ?? "")).reduce((s, d) => s + d.jobs, 0);
    const optIn =
      uploaded > 0
        ? ` ${uploaded} of them ran on models customers uploaded: start the worker with ACCEPT_CUSTOM_MODELS=1 to take those (it downloads each model, verified by its sha256, into a bounded cache).`
        : "";
    add(
      "missing_model",
      `In the last hour ${total} job(s) asked for models this node does not serve: ${list.map((m) => `${m.model} (${m.jobs})`).join(", ")}.${optIn}`,
      { models: list, jobs: total, uploadedModelJobs: uploaded },
    );
  }

  const peers = network.filter((w) => w.id !== node.id && !w.quarantined && w.models.some((m) => served.has(m)));
  const peerMedian = quantile(
    peers.map((w) => w.reputation),
    0.5,
  );
  if (peerMedian !== null && worker.reputation < peerMedian) {
    add(
      "low_reputation",
      `Its reputation ${round(worker.reputation)} is below the median ${round(peerMedian)} of the ${peers.length} other workers serving its models; reputation is ${Math.round(DEFAULT_WEIGHTS.reputation * 100)} % of the score and rises with verified jobs and passed checks.`,
      {
        reputation: round(worker.reputation),
        peerMedian: round(peerMedian),
        peers: peers.length,
        meanDeficit: round(analysis.meanDeficit.reputation),
      },
    );
  }

  const servedJobs = analysis.jobsAnalysed - analysis.eliminated.model;
  if (servedJobs > 0 && analysis.nearby === 0) {
    const top = Object.entries(analysis.demandByClientRegion)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([region, n]) => ({ region, jobs: n }));
    add(
      "region_no_demand",
      `None of the ${servedJobs} recent jobs for its models came from a client within its latency window: the demand is in ${top.map((t) => `${t.region} (${t.jobs})`).join(", ")}, and jobs go to the nearest workers; this node is in ${worker.region}.`,
      { region: worker.region, demandByClientRegion: top },
    );
  }

  if (analysis.outscored > 0) {
    add(
      "outscored",
      `It passed every filter for ${analysis.withinLatencyWindow} recent job(s) but another worker scored higher on ${analysis.outscored}` +
        (lostOn.length > 0
          ? `, mostly on ${lostOn
              .slice(0, 2)
              .map((l) => l.term)
              .join(" and ")}.`
          : "."),
      { jobs: analysis.outscored, lostOn },
    );
  }

  if (live && node.status === "online" && live.freeSlots <= 0) {
    // Only jobs it is running mean it is working; offers it has not leased mean it is not asking.
    const waiting = node.open - node.running;
    add(
      "busy",
      waiting > 0 && node.running === 0
        ? `All ${node.max_concurrency} of its slots hold offers it has not leased (${waiting}): its daemon is not asking for work — is it running, and can it reach the platform?`
        : `All ${node.max_concurrency} of its slots are taken by jobs it is running: not a problem, it is working.`,
      { open: node.open, running: node.running, maxConcurrency: node.max_concurrency },
    );
  }
  if (reasons.length === 0)
    add("ok", "Nothing keeps jobs from this node: it is online, within its exposure limit and priced within the market.", {});

  const { meanDeficit: _unused, ...rest } = analysis;
  return {
    nodeId: node.id,
    online: node.status === "online",
    status: node.status,
    region: worker.region,
    askPricePerCu: ask.toString(),
    windowMs,
    chosen: counts?.chosen ?? 0,
    runnerUp: counts?.runner_up ?? 0,
    analysis: { ...rest, lostOn },
    reasons,
  };
}

function recentJob(j: RecentModelJobRow, listPrice: bigint): RecentJob {
  return {
    job: {
      modelId: j.model_id,
      orgId: j.org_id,
      clientRegion: regionLocation(j.client_region ?? j.org_region).region,
      maxPerCuBaseUnits: j.max_price_per_cu === null ? listPrice : BigInt(j.max_price_per_cu),
    },
    winner: storedWinner(j.placement),
  };
}

/** The winner of a stored placement (dispatcher.ts Placement), read defensively: it is JSON. */
function storedWinner(placement: unknown): RecentJob["winner"] {
  const p = placement as { via?: unknown; explanation?: { winner?: unknown } | null } | null;
  if (!p || p.via !== "indexer") return null;
  const w = p.explanation?.winner as
    | { workerId?: unknown; score?: unknown; expectedRttMs?: unknown; terms?: Record<string, { contribution?: unknown }> }
    | undefined;
  if (!w || typeof w.workerId !== "string" || typeof w.score !== "number" || typeof w.expectedRttMs !== "number") return null;
  const contributions: Partial<Record<TermName, number>> = {};
  for (const t of TERM_NAMES) {
    const c = w.terms?.[t]?.contribution;
    if (typeof c === "number") contributions[t] = c;
  }
  return { workerId: w.workerId, score: w.score, expectedRttMs: w.expectedRttMs, contributions };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
