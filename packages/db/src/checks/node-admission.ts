import type { Db } from "../db-types.ts";
import type { NodeAdmission } from "../generated/prisma/enums.ts";

// A node's admission after its registration check (apps/web verification/report-check.ts
// `admit` holds the rules): passed at its claim, measured again, derated, or refused.

/** Admits the node (nothing to measure against a claim); no re-measurement pending. */
export async function passNodeAdmission(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET admission = 'passed', remeasure_after = NULL WHERE id = ${opts.nodeId}::uuid`;
}

/** Admits the node at its claimed capability; no re-measurement pending. */
export async function passNodeAdmissionAtClaim(db: Db, opts: { nodeId: string; cuPerHour: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET admission = 'passed', cu_per_hour = ${opts.cuPerHour}, remeasure_after = NULL WHERE id = ${opts.nodeId}::uuid`;
}

/** A registration check's measurement. */
export interface RegistrationMeasurementRow {
  id: string;
  /** CU/h delivered. */
  measured: number;
}

/** The node's latest earlier passed registration check with a measurement (not `checkId`), or null. */
export async function loadEarlierRegistrationMeasurement(
  db: Db,
  opts: { nodeId: string; checkId: string },
): Promise<RegistrationMeasurementRow | null> {
  const earlier = await db.$queryRaw<RegistrationMeasurementRow[]>`
    SELECT id, measured_cu_per_hour AS measured FROM checks
    WHERE subject_node_id = ${opts.nodeId}::uuid AND kind = 'registration' AND status = 'done' AND verdict = 'pass'
      AND measured_cu_per_hour IS NOT NULL AND id <> ${opts.checkId}::uuid
    ORDER BY finished_at DESC LIMIT 1`;
  return earlier[0] ?? null;
}

/** The node is measured again once `afterMs` has passed (a registration check at a later idle time). */
export async function scheduleNodeRemeasure(db: Db, opts: { nodeId: string; afterMs: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET remeasure_after = now() + ${opts.afterMs} * interval '1 millisecond' WHERE id = ${opts.nodeId}::uuid`;
}

/** Refuses the node at registration: quarantined, no priority, no re-measurement. */
export async function refuseNodeAtRegistration(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET admission = 'refused', status = 'quarantined', quarantine_reason = 'refused at registration', priority_factor = 0,
      remeasure_after = NULL
    WHERE id = ${opts.nodeId}::uuid`;
}

/** Admits the node (passed or derated) at `cuPerHour`; no re-measurement pending. */
export async function setNodeAdmission(db: Db, opts: { nodeId: string; admission: NodeAdmission; cuPerHour: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET admission = ${opts.admission}::"NodeAdmission", cu_per_hour = ${opts.cuPerHour}, remeasure_after = NULL
    WHERE id = ${opts.nodeId}::uuid`;
}

/** The node's registration was proven fraudulent (by a dispute): refused. */
export async function markNodeAdmissionRefused(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET admission = 'refused' WHERE id = ${opts.nodeId}::uuid`;
}
