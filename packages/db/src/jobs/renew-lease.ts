import type { Db } from "../db-types.ts";

export interface RenewLeaseOptions {
  jobId: string;
  nodeId: string;
  attempt: number;
  leaseMs: number;
}

/**
 * Extends a lease only while this node still holds this attempt. Returns the new expiry,
 * or null when the lease is lost (expired and swept, finished, or canceled): the worker
 * must then abandon the job, since any result it posts will be refused.
 */
export async function renewLease(db: Db, opts: RenewLeaseOptions): Promise<Date | null> {
  const rows = await db.$queryRaw<{ lease_expires_at: Date }[]>`
    UPDATE jobs SET lease_expires_at = now() + ${opts.leaseMs} * interval '1 millisecond'
    WHERE id = ${opts.jobId}::uuid AND node_id = ${opts.nodeId}::uuid AND attempt = ${opts.attempt}
      AND state = 'running'
    RETURNING lease_expires_at`;
  return rows[0]?.lease_expires_at ?? null;
}
