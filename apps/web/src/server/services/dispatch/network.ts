import type { Db } from "@proofgrid/db/db-types";
import { loadPlaceableWorkers } from "@proofgrid/db/network/placeable-workers";
import { loadQueuedJobs } from "@proofgrid/db/network/queued-jobs";
import type { IndexerNodeRow } from "@proofgrid/db/nodes/node-row";
import { findRegion, type LatLon, type Worker } from "@proofgrid/indexer";
import { getEnv } from "../../env.ts";
import type { ExposureBook } from "@proofgrid/por";
import { exposureEnforced, loadProviderExposures, probationFor } from "../verification/exposure.ts";

/** Latency a worker whose declared location a probe proved impossible is charged: it will
 * not win on distance until a probe agrees with its declaration again. */
export const IMPLAUSIBLE_LOCATION_RTT_MS = 250;

/** A region's coordinates; `local` (a worker on the platform's own machine) and unknown
 * ids resolve to the platform's region. */
export function regionLocation(region: string | null | undefined): LatLon & { region: string } {
  const found = region ? findRegion(region) : undefined;
  if (found) return { region: found.id, lat: found.lat, lon: found.lon };
  const platform = findRegion(getEnv().PLATFORM_REGION) ?? findRegion("eu-central");
  if (!platform) throw new Error("no platform region");
  return { region: platform.id, lat: platform.lat, lon: platform.lon };
}

export interface NetworkWorker extends Worker {
  cuPerHour: number;
  maxConcurrency: number;
  open: number;
  priorityFactor: number;
  /** The organisation whose active reservation holds this worker now, with the reservation. */
  reservedFor: { orgId: string; reservationId: string } | null;
  /** Its provider's exposure book (shared by the provider's nodes; null when exposure is not
   * enforced): a job goes to it only if its charge fits `book.headroom(id)`. */
  exposure: ExposureBook | null;
  /** An open dispute about one of its results: no customer jobs until it is settled. */
  openDispute: boolean;
  /** On its slashed provider's probation (allocation capped, re-checked at the cap). */
  onProbation: boolean;
  /** Runs customers' uploaded models (issue 17): the dispatcher adds the queued ones to its `models`. */
  acceptsCustomModels: boolean;
}

/** The providers the last `loadNetwork` found with a placeable worker: the next read's guess
 * (bounded by the network: replaced, never added to). */
let lastProviders: readonly string[] = [];

/**
 * The workers the indexer may place on: online workers, and quarantined ones heard from in
 * the last 90 s (they run only the challenges pinned to them), with their open jobs
 * (assigned or running), bonded stake, and the reservation holding them now.
 */
export async function loadNetwork(db: Db): Promise<NetworkWorker[]> {
  // The providers' exposure books are read alongside the workers, for the providers the last
  // read found (one round trip's wait instead of two, on every dispatch round). A provider
  // that came online since is read after, so every worker is placed with its own book.
  const guess = lastProviders;
  const [rows, guessed] = await Promise.all([loadPlaceableWorkers(db), loadProviderExposures(db, guess)]);
  const orgIds = [...new Set(rows.map((r) => r.org_id))];
  lastProviders = orgIds;
  const known = new Set(guess);
  const missing = orgIds.filter((o) => !known.has(o));
  const providers = missing.length === 0 ? guessed : new Map([...guessed, ...(await loadProviderExposures(db, missing))]);
  const listPrice = BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  const enforced = exposureEnforced();
  return rows.map((r) => {
    const p = providers.get(r.org_id);
    const e = p?.nodes.get(r.id);
    const book = enforced && p ? p.book : null;
    const openDispute = e?.openDispute ?? false;
    const probation = p ? probationFor(p.standing, e?.passedChecks ?? 0) : null;
    const worker = indexerWorker(r, { bonded: BigInt(r.stake), sufficient: !book || book.headroom(r.id) > 0n }, listPrice);
    return {
      ...worker,
      // A worker with an open dispute runs only its pinned challenges, like a quarantined one.
      quarantined: worker.quarantined || openDispute,
      cuPerHour: r.cu_per_hour,
      maxConcurrency: r.max_concurrency,
      open: r.open,
      priorityFactor: Math.min(r.priority_factor, probation?.priorityCap ?? 1),
      reservedFor: r.reservation_id && r.reserved_for ? { orgId: r.reserved_for, reservationId: r.reservation_id } : null,
      exposure: book,
      openDispute,
      onProbation: probation?.onProbation ?? false,
      acceptsCustomModels: r.accepts_custom_models,
    };
  });
}

export type { IndexerNodeRow };

/** A node as the indexer sees it (the dispatcher, quotes and diagnostics build it alike). */
export function indexerWorker(r: IndexerNodeRow, stake: { bonded: bigint; sufficient: boolean }, listPrice: bigint): Worker {
  const at = r.latitude !== null && r.longitude !== null ? { lat: r.latitude, lon: r.longitude } : regionLocation(r.region);
  return {
    id: r.id,
    orgId: r.org_id,
    region: regionLocation(r.region).region,
    lat: at.lat,
    lon: at.lon,
    models: r.models,
    loadedModels: r.loaded_models ?? [],
    freeSlots: Math.max(0, r.max_concurrency - r.open),
    askPerCuBaseUnits: r.ask_price_per_cu === null ? listPrice : BigInt(r.ask_price_per_cu),
    reputation: r.reputation_score,
    stake: stake.bonded,
    minStakeOk: !exposureEnforced() || stake.sufficient,
    quarantined: r.status === "quarantined",
    measuredRttMs: r.location_plausible ? (r.measured_rtt_ms ?? undefined) : Math.max(r.measured_rtt_ms ?? 0, IMPLAUSIBLE_LOCATION_RTT_MS),
    selections: 0,
  };
}

export interface QueuedJob {
  id: string;
  orgId: string;
  modelId: string;
  cost: number;
  clientRegion: string;
  maxPerCuBaseUnits: bigint;
  pinnedNodeId: string | null;
  declined: string[];
  createdAt: Date;
  /** On a customer's uploaded model (issue 17). */
  custom: boolean;
}

export interface OrgShare {
  weight: number;
  limit: number;
  open: number;
}

/**
 * Per organisation, its oldest `perOrg` queued jobs and its share (weight, concurrency limit,
 * open jobs): the fair scheduler's input, read in one statement.
 */
export async function loadQueued(db: Db, perOrg: number): Promise<{ queues: Map<string, QueuedJob[]>; shares: Map<string, OrgShare> }> {
  const rows = await loadQueuedJobs(db, { perOrg });
  const env = getEnv();
  const listPrice = BigInt(env.PRICE_PER_CU_BASE_UNITS);
  const fallback = env.ORG_MAX_CONCURRENT_JOBS;
  const limitOf = (n: number | null) => (n !== null && n > 0 ? n : fallback > 0 ? fallback : Number.POSITIVE_INFINITY);
  const queues = new Map<string, QueuedJob[]>();
  const shares = new Map<string, OrgShare>();
  for (const r of rows) {
    const job: QueuedJob = {
      id: r.id,
      orgId: r.org_id,
      modelId: r.model_id,
      cost: Math.max(1, r.cost_milli_cu),
      clientRegion: regionLocation(r.client_region ?? r.org_region).region,
      maxPerCuBaseUnits: r.max_price_per_cu === null ? listPrice : BigInt(r.max_price_per_cu),
      pinnedNodeId: r.pinned_node_id,
      declined: r.declined ?? [],
      createdAt: r.created_at,
      custom: r.custom,
    };
    const list = queues.get(job.orgId);
    if (list) list.push(job);
    else queues.set(job.orgId, [job]);
    if (!shares.has(r.org_id))
      shares.set(r.org_id, { weight: Math.max(1, r.share_weight), limit: limitOf(r.max_concurrent_jobs), open: r.org_open });
  }
  return { queues, shares };
}
