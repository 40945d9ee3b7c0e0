/** A node's role (the `NodeRole` enum), read as `role::text`. */
export type NodeRole = "worker" | "checker";

/** A node's status (the `NodeStatus` enum), read as `status::text`. */
export type NodeStatus = "online" | "offline" | "quarantined";

/**
 * A row of `nodes` as raw SQL returns it (snake_case columns; enums read as `::text`). Each
 * query selects the columns it needs: its row type is a `Pick` of this one, plus whatever it
 * computes. `ask_price_per_cu` is int8: the pg client (`sql()`) returns it as a decimal string,
 * Prisma's raw queries as a bigint; callers convert with BigInt(), so precision is never lost.
 */
export interface NodeRow {
  id: string;
  org_id: string;
  name: string;
  role: NodeRole;
  public_key: string;
  region: string;
  latitude: number | null;
  longitude: number | null;
  status: NodeStatus;
  /** Capability the node claims from its own benchmark, and what the platform accepted. */
  claimed_cu_per_hour: number;
  cu_per_hour: number;
  /** Model sha256s the node can run. */
  models: string[];
  max_concurrency: number;
  version: string | null;
  last_seen_at: Date | null;
  created_at: Date;
  reputation_score: number;
  /** The penalty ladder's allocation multiplier, 1 for a node in good standing. */
  priority_factor: number;
  completed_jobs: number;
  /** The `NodeAdmission` enum, read as `admission::text`. */
  admission: string;
  quarantine_reason: string | null;
  /** Set by its provider to drain it; null = taking work. */
  paused_at: Date | null;
  removed_at: Date | null;
  /** Base units per CU; null = the list price. */
  ask_price_per_cu: bigint | string | null;
  /** Models resident in the worker's memory, from its heartbeats. */
  loaded_models: string[] | null;
  /** Runs customers' uploaded models (issue 17) besides the catalog's in `models`. */
  accepts_custom_models: boolean;
  measured_rtt_ms: number | null;
  location_plausible: boolean;
  /** Share of the machine's CPU other processes used, from the last heartbeat (0..1), and since when it stayed low. */
  machine_busy: number | null;
  idle_since: Date | null;
  remeasure_after: Date | null;
}

/** The columns of a node row the indexer's Worker is built from (the dispatcher, quotes and diagnostics), with its open jobs. */
export type IndexerNodeRow = Pick<
  NodeRow,
  | "id"
  | "org_id"
  | "region"
  | "latitude"
  | "longitude"
  | "models"
  | "loaded_models"
  | "accepts_custom_models"
  | "max_concurrency"
  | "status"
  | "reputation_score"
  | "ask_price_per_cu"
  | "measured_rtt_ms"
  | "location_plausible"
> & { open: number };
