import type { Db } from "../db-types.ts";
import { prepareTransfer, TRANSFER_OUTCOME, type TransferLeg, transferError, transferMoves } from "../ledger/post-transfer.ts";
import { queryFragment, sqlFragment } from "../sql-fragment.ts";
import { type SpendControlsRow, spendControlsColumns } from "../billing/spend-controls.ts";

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

/**
 * Inserts a queued job, its payload and its credit hold (`hold:<id>`, posted as postTransfer
 * posts it) in one statement: no transaction to open and commit, so a submit's write is one
 * round trip instead of four (issue 15). A statement is atomic: the job exists with its price
 * held, or nothing was written. Answers null, writing nothing, when one of the hold's
 * accounts does not exist yet (the caller creates them and submits in a transaction);
 * throws `insufficient_funds` (a LedgerError), writing nothing, when the hold overdraws.
 *
 * With `admit`, the statement also reads the organisation's spend controls (as
 * loadSpendControls does, `controls` in the answer) and writes the job only when they let it
 * through without a decision of the caller's: nothing owed, no monthly cap on the
 * organisation or the key, fewer than `admit.queuedLimit` jobs queued. Otherwise it writes
 * nothing (`job` null) and the caller decides from `controls`, as after its own read: a
 * submit's controls and its insert are one round trip instead of two (issue 15).
 */
export async function insertJobWithHold(
  db: Db,
  opts: InsertJobOptions & { id: string; hold: readonly TransferLeg[]; admit?: { queuedLimit: number } },
): Promise<{ job: { id: string; created_at: Date } | null; controls: SpendControlsRow | null }> {
  const p = prepareTransfer({ idempotencyKey: `hold:${opts.id}`, legs: opts.hold });
  const admit = opts.admit;
  // The controls are one row (c); without `admit` it reads nothing and lets every job through.
  const controls = admit
    ? sqlFragment`c AS (SELECT ${spendControlsColumns({ orgId: opts.orgId, apiKeyId: opts.apiKeyId, queuedLimit: admit.queuedLimit })}),`
    : sqlFragment`c AS (SELECT NULL::text AS debt, NULL::text AS org_cap, NULL::text AS key_cap, NULL::int AS queued),`;
  const admitted = admit
    ? sqlFragment`AND (SELECT coalesce(debt::numeric, 0) >= 0 AND org_cap IS NULL AND key_cap IS NULL AND queued < ${admit.queuedLimit}::int FROM c)`
    : sqlFragment``;
  type Row = SpendControlsRow & { id: string | null; created_at: Date | null; locked: number };
  let rows: Row[];
  try {
    rows = await queryFragment<Row[]>(
      db,
      sqlFragment`
      WITH ${controls} j AS (
        INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, client_region, idempotency_key,
                          max_price_per_cu, api_key_id, royalty, royalty_org_id, processing_org_id)
        SELECT ${opts.id}::uuid, ${opts.orgId}::uuid, ${opts.modelId}::text, ${opts.costMilliCu}::int, ${opts.price}::bigint,
               ${opts.inputHash}::text, ${opts.inputBytes}::int, ${opts.clientRegion}::text, ${opts.idempotencyKey}::text,
               ${opts.maxPerCuBaseUnits}::bigint, ${opts.apiKeyId}::uuid, ${opts.royalty?.amount ?? 0n}::bigint,
               ${opts.royalty?.orgId ?? null}::uuid, ${opts.processingOrgId ?? null}::uuid
        -- Accounts are never deleted: when all exist now, the hold below finds them all.
        WHERE (SELECT count(*) FROM ledger_accounts WHERE code = ANY(${p.codes}::text[])) = ${p.codes.length}
          ${admitted}
        RETURNING id, created_at
      ), payload AS (
        INSERT INTO job_payloads (job_id, input) SELECT id, ${JSON.stringify(opts.input)}::jsonb FROM j
      ), t AS (
        INSERT INTO ledger_transfers (id, idempotency_key, kind, job_id, memo)
        SELECT gen_random_uuid(), ${`hold:${opts.id}`}, 'hold', j.id, NULL FROM j
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id),
      ${transferMoves(p)}
      SELECT (SELECT created_at FROM j) AS created_at, ${TRANSFER_OUTCOME}, c.debt, c.org_cap, c.key_cap, c.queued,
        -- A job without its whole hold must not be written: failing the statement undoes all of it.
        CASE WHEN NOT EXISTS (SELECT 1 FROM j) OR (SELECT "all" FROM known) THEN true
             ELSE (SELECT 'job insert without its whole hold')::boolean END AS complete
      FROM c`,
    );
  } catch (err) {
    throw transferError(err, p);
  }
  const r = rows[0];
  const read = admit && r ? { debt: r.debt, org_cap: r.org_cap, key_cap: r.key_cap, queued: r.queued } : null;
  if (!r?.id || !r.created_at) return { job: null, controls: read };
  return { job: { id: opts.id, created_at: r.created_at }, controls: read };
}
