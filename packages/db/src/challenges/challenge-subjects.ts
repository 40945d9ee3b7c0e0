import type { Db } from "../db-types.ts";

/** A worker a challenge check may be opened on: its provider and the models it runs. */
export interface ChallengeSubjectRow {
  id: string;
  org_id: string;
  models: string[];
}

export interface LoadRegistrationSubjectsOptions {
  /** A machine idle this long is measured (POR_REGISTRATION_IDLE_MS). */
  registrationIdleMs: number;
  /** After this long it is measured however busy it says it is (POR_REGISTRATION_MAX_WAIT_MS). */
  registrationMaxWaitMs: number;
}

/**
 * Pending workers due a capability (registration) check, at most 20: online, not paused, none
 * open. A first measurement once the machine has been idle long enough or waited the longest;
 * a repeat once `remeasure_after` has passed, on the same terms counted from it.
 */
export async function loadRegistrationSubjects(db: Db, opts: LoadRegistrationSubjectsOptions): Promise<ChallengeSubjectRow[]> {
  return db.$queryRaw<ChallengeSubjectRow[]>`
    SELECT n.id, n.org_id, n.models FROM nodes n
    WHERE n.role = 'worker' AND n.admission = 'pending' AND n.status = 'online' AND n.paused_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind = 'registration'
                      AND c.status IN ('waiting', 'queued', 'leased'))
      AND CASE
        WHEN NOT EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind = 'registration')
          THEN n.idle_since <= now() - ${opts.registrationIdleMs} * interval '1 millisecond'
            OR n.created_at <= now() - ${opts.registrationMaxWaitMs} * interval '1 millisecond'
        ELSE n.remeasure_after <= now() AND (n.idle_since <= now() - ${opts.registrationIdleMs} * interval '1 millisecond'
            OR n.remeasure_after <= now() - ${opts.registrationMaxWaitMs} * interval '1 millisecond')
      END
    LIMIT 20`;
}

/** Clears a node's pending re-measurement: its registration check is being opened. */
export async function clearRemeasureAfter(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET remeasure_after = NULL WHERE id = ${opts.nodeId}::uuid`;
}

/** A worker a standby check may be drawn for, with the time since it was last checked. */
export interface StandbySubjectRow extends ChallengeSubjectRow {
  /** Milliseconds since the last check (or since it registered). */
  idle_ms: number;
}

/** Admitted workers online and not paused, with no standby check or latency probe open. */
export async function loadStandbySubjects(db: Db): Promise<StandbySubjectRow[]> {
  return db.$queryRaw<StandbySubjectRow[]>`
    SELECT n.id, n.org_id, n.models,
      extract(epoch FROM (now() - coalesce(n.last_checked_at, n.created_at))) * 1000 AS idle_ms
    FROM nodes n
    WHERE n.role = 'worker' AND n.status = 'online' AND n.paused_at IS NULL AND n.admission IN ('passed', 'derated')
      AND NOT EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind IN ('standby', 'latency')
                      AND c.status IN ('waiting', 'queued', 'leased'))`;
}
