import type { Db } from "../db-types.ts";

/** One job of a batch: what insertJobWithPayload takes per job, the organisation and key aside. */
export interface InsertJobsBatchItem {
  modelId: string;
  costMilliCu: number;
  /** What the batch's hold holds for this job: settlement and release read it from the row. */
  price: bigint;
  inputHash: string;
  inputBytes: number;
  /** The job's input, stored in job_payloads as JSON. */
  input: unknown;
  clientRegion: string | null;
  maxPerCuBaseUnits: bigint | null;
  /** An uploaded model's royalty, part of `price`, and its payee (absent: none). */
  royalty?: { amount: bigint; orgId: string } | null;
  /** An uploaded model's listing the job was submitted under: its postprocessing reads the output. */
  processingOrgId?: string | null;
}

export interface InsertJobsBatchOptions {
  orgId: string;
  /** The API key that submitted the batch (its spend cap counts every job). */
  apiKeyId: string | null;
  items: readonly InsertJobsBatchItem[];
}

// A bound on one statement: the web app's own limit (JOB_BATCH_MAX_ITEMS) is at most this.
const MAX_BATCH_ITEMS = 1_000;

/**
 * Inserts a batch of queued jobs and their payloads in one statement, whatever the batch's
 * size: the scalar columns as arrays (unnest), the inputs as one JSON array, both numbered
 * so the payloads join their jobs. Returns each job's id and creation time in the items'
 * order. Inside the caller's transaction, which posts the hold; the insert's row trigger
 * NOTIFYs waiting workers. The jobs carry no idempotency key: a batch is idempotent as a
 * whole (its request's key), not per job.
 */
export async function insertJobsBatch(db: Db, opts: InsertJobsBatchOptions): Promise<{ id: string; created_at: Date }[]> {
  const { items } = opts;
  if (items.length === 0) return [];
  if (items.length > MAX_BATCH_ITEMS) throw new Error(`a batch insert takes at most ${MAX_BATCH_ITEMS} jobs, got ${items.length}`);
  // `d` is MATERIALIZED so each row's gen_random_uuid() is drawn once and the jobs, the
  // payloads and the answer all see the same id.
  const rows = await db.$queryRaw<{ id: string; created_at: Date }[]>`
    WITH d AS MATERIALIZED (
      SELECT gen_random_uuid() AS id, u.n, u.model_id, u.cost_milli_cu, u.price, u.input_hash, u.input_bytes, u.client_region,
             u.max_price_per_cu, u.royalty, u.royalty_org_id, u.processing_org_id, i.input
      FROM unnest(${items.map((j) => j.modelId)}::text[], ${items.map((j) => j.costMilliCu)}::int[],
                  ${items.map((j) => j.price.toString())}::bigint[], ${items.map((j) => j.inputHash)}::text[],
                  ${items.map((j) => j.inputBytes)}::int[], ${items.map((j) => j.clientRegion)}::text[],
                  ${items.map((j) => j.maxPerCuBaseUnits?.toString() ?? null)}::bigint[],
                  ${items.map((j) => (j.royalty?.amount ?? 0n).toString())}::bigint[], ${items.map((j) => j.royalty?.orgId ?? null)}::uuid[],
                  ${items.map((j) => j.processingOrgId ?? null)}::uuid[])
             WITH ORDINALITY AS u(model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, max_price_per_cu,
                                  royalty, royalty_org_id, processing_org_id, n)
      JOIN jsonb_array_elements(${JSON.stringify(items.map((j) => j.input))}::jsonb) WITH ORDINALITY AS i(input, n) ON i.n = u.n
    ), j AS (
      INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, idempotency_key,
                        max_price_per_cu, api_key_id, royalty, royalty_org_id, processing_org_id)
      SELECT id, ${opts.orgId}::uuid, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, NULL,
             max_price_per_cu, ${opts.apiKeyId}::uuid, royalty, royalty_org_id, processing_org_id
      FROM d ORDER BY n
      RETURNING id, created_at
    ), p AS (
      INSERT INTO job_payloads (job_id, input) SELECT id, input FROM d
    )
    SELECT d.id, j.created_at FROM d JOIN j ON j.id = d.id ORDER BY d.n`;
  if (rows.length !== items.length) throw new Error(`batch insert returned ${rows.length} rows for ${items.length} jobs`);
  return rows;
}
