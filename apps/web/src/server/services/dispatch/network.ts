import type { Db } from "@proofgrid/db/db-types";
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
}

interface WorkerRow {
  id: string;
  org_id: string;
  region: string;
  latitude: number | null;
  longitude: number | null;
  models: string[];
  loaded_models: string[] | null;
  max_concurrency: number;
  status: "online" | "offline" | "quarantined";
  priority_factor: number;
  reputation_score: number;
  ask_price_per_cu: bigint | null;
  measured_rtt_ms: number | null;
  location_plausible: boolean;
  cu_per_hour: number;
  stake: bigint;
  open: number;
  reservation_id: string | null;
  reserved_for: string | null;
}

/**
 * The workers the indexer may place on: online workers, and quarantined ones heard from in
 * the last 90 s (they run only the challenges pinned to them), with their open jobs
 * (assigned or running), bonded stake, and the reservation holding them now.
 */
export async function loadNetwork(db: Db): Promise<NetworkWorker[]> {
  const rows = await db.$queryRaw<WorkerRow[]>`
    SELECT n.id, n.org_id, n.region, n.latitude, n.longitude, n.models, n.loaded_models, n.max_concurrency, n.status::text AS status,
           n.priority_factor, n.reputation_score, n.ask_price_per_cu, n.measured_rtt_ms, n.location_plausible, n.cu_per_hour,
           coalesce(a.balance, 0) AS stake,
           (SELECT count(*) FROM jobs j WHERE j.node_id = n.id AND j.state IN ('assigned', 'running'))::int AS open,
           res.reservation_id, res.org_id AS reserved_for
    FROM nodes n
    LEFT JOIN ledger_accounts a ON a.code = 'node:' || n.id::text || ':stake'
    LEFT JOIN LATERAL (
      SELECT rn.reservation_id, r.org_id FROM reservation_nodes rn JOIN reservations r ON r.id = rn.reservation_id
      WHERE rn.node_id = n.id AND r.status = 'active' AND r.starts_at <= now() AND r.ends_at > now()
      LIMIT 1
    ) res ON true
    WHERE n.role = 'worker' AND n.paused_at IS NULL
      AND (n.status = 'online' OR (n.status = 'quarantined' AND n.last_seen_at > now() - interval '90 seconds'))`;
  const listPrice = BigInt(getEnv().PRICE_PER_CU);
  const enforced = exposureEnforced();
  const providers = await loadProviderExposures(db, rows.map((r) => r.org_id));
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
    };
  });
}

/** The columns of a node row the indexer's Worker is built from. */
export interface IndexerNodeRow {
  id: string;
  org_id: string;
  region: string;
  latitude: number | null;
  longitude: number | null;
  models: string[];
  loaded_models: string[] | null;
  max_concurrency: number;
  open: number;
  status: string;
  reputation_score: number;
  ask_price_per_cu: bigint | string | null;
  measured_rtt_ms: number | null;
  location_plausible: boolean;
}

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
    askPricePerCuHour: r.ask_price_per_cu === null ? listPrice : BigInt(r.ask_price_per_cu),
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
  maxPricePerCu: bigint;
  pinnedNodeId: string | null;
  declined: string[];
  createdAt: Date;
}

/** Per organisation, its oldest `perOrg` queued jobs (the fair scheduler's input). */
export async function loadQueued(db: Db, perOrg: number): Promise<Map<string, QueuedJob[]>> {
  const rows = await db.$queryRaw<
    {
      id: string;
      org_id: string;
      model_id: string;
      cost_milli_cu: number;
      client_region: string | null;
      org_region: string | null;
      max_price_per_cu: bigint | null;
      pinned_node_id: string | null;
      declined: string[] | null;
      created_at: Date;
    }[]
  >`
    SELECT q.id, q.org_id, q.model_id, q.cost_milli_cu, q.client_region, o.region AS org_region, q.max_price_per_cu,
           q.pinned_node_id, q.declined, q.created_at
    FROM (SELECT DISTINCT org_id FROM jobs WHERE state = 'queued') d
    CROSS JOIN LATERAL (
      SELECT j.id, j.org_id, j.model_id, j.cost_milli_cu, j.client_region, j.max_price_per_cu, j.pinned_node_id, j.created_at,
             ARRAY(SELECT jsonb_array_elements_text(coalesce(j.placement -> 'declined', '[]'::jsonb))) AS declined
      FROM jobs j
      WHERE j.state = 'queued' AND j.org_id = d.org_id AND j.attempt < j.max_attempts
      ORDER BY j.created_at
      LIMIT ${perOrg}
    ) q
    JOIN organizations o ON o.id = q.org_id
    ORDER BY q.created_at`;
  const listPrice = BigInt(getEnv().PRICE_PER_CU);
  const byOrg = new Map<string, QueuedJob[]>();
  for (const r of rows) {
    const job: QueuedJob = {
      id: r.id,
      orgId: r.org_id,
      modelId: r.model_id,
      cost: Math.max(1, r.cost_milli_cu),
      clientRegion: regionLocation(r.client_region ?? r.org_region).region,
      maxPricePerCu: r.max_price_per_cu === null ? listPrice : BigInt(r.max_price_per_cu),
      pinnedNodeId: r.pinned_node_id,
      declined: r.declined ?? [],
      createdAt: r.created_at,
    };
    const list = byOrg.get(job.orgId);
    if (list) list.push(job);
    else byOrg.set(job.orgId, [job]);
  }
  return byOrg;
}

export interface OrgShare {
  weight: number;
  limit: number;
  open: number;
}

export async function loadOrgShares(db: Db, orgIds: readonly string[]): Promise<Map<string, OrgShare>> {
  if (orgIds.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; share_weight: number; max_concurrent_jobs: number | null; open: number }[]>`
    SELECT o.id, o.share_weight, o.max_concurrent_jobs,
           (SELECT count(*) FROM jobs j WHERE j.org_id = o.id AND j.state IN ('assigned', 'running'))::int AS open
    FROM organizations o WHERE o.id = ANY(${[...orgIds]}::uuid[])`;
  const fallback = getEnv().ORG_MAX_CONCURRENT_JOBS;
  const limitOf = (n: number | null) => (n !== null && n > 0 ? n : fallback > 0 ? fallback : Number.POSITIVE_INFINITY);
  return new Map(rows.map((r) => [r.id, { weight: Math.max(1, r.share_weight), limit: limitOf(r.max_concurrent_jobs), open: r.open }]));
}
