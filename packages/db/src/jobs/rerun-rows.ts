import type { Db } from "../db-types.ts";

/** What a re-run copies from the job it re-runs (and the worker it must avoid). */
export interface RerunSourceRow {
  id: string;
  verification: string;
  model_id: string;
  cost_milli_cu: number;
  input_hash: string;
  input_bytes: number;
  client_region: string | null;
  max_price_per_cu: bigint | null;
  node_id: string | null;
}

/** One of the organisation's own jobs (never a challenge job), as a re-run copies it. */
export async function loadRerunSource(db: Db, opts: { orgId: string; jobId: string }): Promise<RerunSourceRow | undefined> {
  const rows = await db.$queryRaw<RerunSourceRow[]>`
    SELECT id, verification::text AS verification, model_id, cost_milli_cu, input_hash, input_bytes, client_region, max_price_per_cu,
           node_id
    FROM jobs WHERE id = ${opts.jobId}::uuid AND org_id = ${opts.orgId}::uuid AND purpose <> 'challenge'`;
  return rows[0];
}

/** The id of the re-run of a job, if it has one (`rerun_of_id` is unique). */
export async function findRerunOf(db: Db, opts: { jobId: string }): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM jobs WHERE rerun_of_id = ${opts.jobId}::uuid`;
  return rows[0]?.id;
}

export interface InsertRerunJobOptions {
  id: string;
  orgId: string;
  source: RerunSourceRow;
  price: bigint;
}

/**
 * Inserts the re-run of `source` as a new job with the same input (its payload is copied),
 * placed on any worker but the one that ran the source. Inside the caller's transaction,
 * which posts the hold; a second re-run of the same job violates the unique `rerun_of_id`.
 */
export async function insertRerunJob(db: Db, opts: InsertRerunJobOptions): Promise<void> {
  const { id: newId, orgId, source: job, price } = opts;
  await db.$executeRaw`
    INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, purpose, rerun_of_id,
                      max_price_per_cu, placement, processing_org_id)
    VALUES (${newId}::uuid, ${orgId}::uuid, ${job.model_id}, ${job.cost_milli_cu}, ${price}, ${job.input_hash}, ${job.input_bytes},
            ${job.client_region}, 'rerun', ${job.id}::uuid, ${job.max_price_per_cu},
            ${JSON.stringify({ declined: job.node_id ? [job.node_id] : [] })}::jsonb,
            (SELECT processing_org_id FROM jobs WHERE id = ${job.id}::uuid))`;
  await db.$executeRaw`
    INSERT INTO job_payloads (job_id, input) SELECT ${newId}::uuid, input FROM job_payloads WHERE job_id = ${job.id}::uuid`;
}
