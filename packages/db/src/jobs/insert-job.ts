import type { Db } from "../db-types.ts";

export interface InsertJobOptions {
  orgId: string;
  modelId: string;
  costMilliCu: number;
  price: bigint;
  inputHash: string;
  inputBytes: number;
  /** The job's input, stored in job_payloads as JSON. */
  input: unknown;
  clientRegion: string | null;
  idempotencyKey: string | null;
  maxPerCuBaseUnits: bigint | null;
  /** The API key that submitted it (its spend cap counts it). */
  apiKeyId: string | null;
  /** An uploaded model's royalty, part of `price`, and its payee (absent: none). */
  royalty?: { amount: bigint; orgId: string } | null;
  /** An uploaded model's listing the job was submitted under: its postprocessing reads the output. */
  processingOrgId?: string | null;
}

/**
 * Inserts a queued job and its payload in one statement (two inserts in CTEs) and returns
 * its id and creation time. Inside the caller's transaction, which posts the hold; the
 * insert's trigger NOTIFYs waiting workers.
 */
export async function insertJobWithPayload(db: Db, opts: InsertJobOptions): Promise<{ id: string; created_at: Date } | undefined> {
  const rows = await db.$queryRaw<{ id: string; created_at: Date }[]>`
    WITH j AS (
      INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, idempotency_key,
                        max_price_per_cu, api_key_id, royalty, royalty_org_id, processing_org_id)
      VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.modelId}, ${opts.costMilliCu}, ${opts.price}, ${opts.inputHash},
              ${opts.inputBytes}, ${opts.clientRegion}, ${opts.idempotencyKey}, ${opts.maxPerCuBaseUnits}, ${opts.apiKeyId}::uuid,
              ${opts.royalty?.amount ?? 0n}, ${opts.royalty?.orgId ?? null}::uuid,
              ${opts.processingOrgId ?? null}::uuid)
      RETURNING id, created_at
    ), p AS (
      INSERT INTO job_payloads (job_id, input) SELECT id, ${JSON.stringify(opts.input)}::jsonb FROM j
    )
    SELECT id, created_at FROM j`;
  return rows[0];
}
