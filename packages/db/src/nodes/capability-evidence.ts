import type { Db } from "../db-types.ts";
import type { NodeRow } from "./node-row.ts";

/** A worker's capability as claimed and credited, with the load its checks are timed under. */
export interface NodeCapabilityRow {
  id: NodeRow["id"];
  claimed: NodeRow["claimed_cu_per_hour"];
  credited: NodeRow["cu_per_hour"];
  admission: NodeRow["admission"];
  machine_busy: NodeRow["machine_busy"];
  idle_since: NodeRow["idle_since"];
  remeasure_after: NodeRow["remeasure_after"];
}

/** The organisation's worker with this id (removed or not); null when it has none. */
export async function loadNodeCapability(db: Db, opts: { orgId: string; nodeId: string }): Promise<NodeCapabilityRow | null> {
  const nodes = await db.$queryRaw<NodeCapabilityRow[]>`
    SELECT id, claimed_cu_per_hour AS claimed, cu_per_hour AS credited, admission::text AS admission,
           machine_busy, idle_since, remeasure_after
    FROM nodes WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid AND role = 'worker'`;
  return nodes[0] ?? null;
}

/**
 * A registration check of a node: its measurement and evidence. `evidence` is JSON whose
 * shape the services own (verification/check-tasks.ts); they name it through the parameter.
 */
export interface RegistrationMeasurementRow<Evidence = unknown> {
  id: string;
  status: string;
  verdict: string | null;
  created_at: Date;
  finished_at: Date | null;
  measured: number | null;
  evidence: Evidence | null;
}

/** The node's registration checks, oldest first, at most `limit`. */
export async function loadRegistrationMeasurements<Evidence = unknown>(
  db: Db,
  opts: { nodeId: string; limit: number },
): Promise<RegistrationMeasurementRow<Evidence>[]> {
  return db.$queryRaw<RegistrationMeasurementRow<Evidence>[]>`
    SELECT id, status::text AS status, verdict::text AS verdict, created_at, finished_at, measured_cu_per_hour AS measured, evidence
    FROM checks WHERE subject_node_id = ${opts.nodeId}::uuid AND kind = 'registration'
    ORDER BY created_at LIMIT ${opts.limit}`;
}
