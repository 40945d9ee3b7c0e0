import type { Db } from "../db-types.ts";

export interface InsertChallengeJobOptions {
  id: string;
  /** The protocol's organisation: it submits and pays for every challenge job. */
  orgId: string;
  modelId: string;
  costMilliCu: number;
  price: bigint;
  inputHash: string;
  inputBytes: number;
  /** `challenge:<check>:<i>`: a retried submission creates nothing. */
  idempotencyKey: string;
  /** The subject: a challenge job runs on it alone. */
  pinnedNodeId: string;
  checkId: string;
}

/** Inserts a challenge job pinned to its subject; false when the idempotency key was used already. */
export async function insertChallengeJob(db: Db, opts: InsertChallengeJobOptions): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, idempotency_key, purpose, pinned_node_id,
                      check_id)
    VALUES (${opts.id}::uuid, ${opts.orgId}::uuid, ${opts.modelId}, ${opts.costMilliCu}, ${opts.price}, ${opts.inputHash},
            ${opts.inputBytes}, ${opts.idempotencyKey}, 'challenge', ${opts.pinnedNodeId}::uuid, ${opts.checkId}::uuid)
    ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING id`;
  return rows.length > 0;
}

/** Stores a challenge job's input (as JSON). */
export async function insertChallengeJobPayload(db: Db, opts: { jobId: string; input: unknown }): Promise<void> {
  await db.$executeRaw`INSERT INTO job_payloads (job_id, input) VALUES (${opts.jobId}::uuid, ${JSON.stringify(opts.input)}::jsonb)`;
}
