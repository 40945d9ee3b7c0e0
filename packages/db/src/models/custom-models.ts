import type { Db } from "../db-types.ts";

// Uploaded models (issue 17): the content row in `models` (id = the file's sha256, shared by
// every organisation that uploads the same bytes) and each organisation's ownership of it in
// `custom_models` (its name, visibility and processing). Tenancy lives in the one predicate
// below: an organisation sees a custom model through its own row or through a public one.

export type ModelVisibility = "private" | "public";
export type ModelPreprocessing = "raw" | "image" | "text";
export type ModelPostprocessing = "raw" | "softmax" | "labels";

export interface InsertUploadedModelOptions {
  /** sha256 of the file. */
  id: string;
  /** The signature validateOnnx and the sandbox recorded (stored as jsonb). */
  signature: unknown;
  /** Measured on the reference run: 1 milli-CU = 1 ms on the reference machine. */
  baseCostMilliCu: number;
  fileBytes: number;
  deterministic: boolean;
}

/**
 * Creates the content row of an uploaded model unless one exists. Its slug is
 * `custom-<first 12 hex of the id>`: unique, names no organisation and no upload's name (those
 * are each owner's own, and private ones must not show in a slug others may see), and short
 * enough to type; in the one-in-2^48 case that another id holds it, the full id is the slug.
 * Returns whether the row was created and whether an existing one is a built-in model (the
 * same bytes as a catalog model's file).
 */
export async function insertUploadedModel(db: Db, opts: InsertUploadedModelOptions): Promise<{ created: boolean; builtIn: boolean }> {
  const short = `custom-${opts.id.slice(0, 12)}`;
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO models (id, slug, name, kind, description, signature, base_cost_milli_cu, synthetic, built_in, file_bytes, deterministic)
    VALUES (
      ${opts.id},
      CASE WHEN EXISTS (SELECT 1 FROM models WHERE slug = ${short}) THEN ${`custom-${opts.id}`} ELSE ${short} END,
      ${`custom model ${opts.id.slice(0, 12)}`}, 'tensor'::"ModelKind", '',
      ${JSON.stringify(opts.signature)}::jsonb, ${opts.baseCostMilliCu}::int, false, false, ${opts.fileBytes}::bigint, ${opts.deterministic})
    ON CONFLICT (id) DO NOTHING
    RETURNING id`;
  if (rows.length > 0) return { created: true, builtIn: false };
  const existing = await db.$queryRaw<{ built_in: boolean }[]>`SELECT built_in FROM models WHERE id = ${opts.id}`;
  return { created: false, builtIn: existing[0]?.built_in ?? false };
}

export interface InsertModelOwnershipOptions {
  orgId: string;
  modelId: string;
  name: string;
  visibility: ModelVisibility;
  preprocessing: ModelPreprocessing;
  postprocessing: ModelPostprocessing;
  /** The menu's parameters (`{ mean, std }`, `{ labels }`), checked against the model by the caller. */
  processingOptions: Record<string, unknown> | null;
  /** Base units per job another organisation runs on it. */
  royalty: bigint;
  createdByKeyId: string | null;
}

/** Gives the organisation its row for the model unless it has one; true when created. */
export async function insertModelOwnership(db: Db, opts: InsertModelOwnershipOptions): Promise<boolean> {
  const n = await db.$executeRaw`
    INSERT INTO custom_models (org_id, model_id, name, visibility, preprocessing, postprocessing, processing_options, royalty, created_by_key_id)
    VALUES (${opts.orgId}::uuid, ${opts.modelId}, ${opts.name}, ${opts.visibility}::"ModelVisibility",
            ${opts.preprocessing}::"ModelProcessing", ${opts.postprocessing}::"ModelProcessing",
            ${opts.processingOptions === null ? null : JSON.stringify(opts.processingOptions)}::jsonb, ${opts.royalty}, ${opts.createdByKeyId}::uuid)
    ON CONFLICT (org_id, model_id) DO NOTHING`;
  return n > 0;
}

/** Changes what the organisation chose for its model (the fields given); false when it owns no such model. */
export async function updateModelOwnership(
  db: Db,
  opts: { orgId: string; modelId: string; name?: string; visibility?: ModelVisibility; royalty?: bigint },
): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE custom_models SET
      name = COALESCE(${opts.name ?? null}::text, name),
      visibility = COALESCE(${opts.visibility ?? null}::"ModelVisibility", visibility),
      royalty = COALESCE(${opts.royalty ?? null}::bigint, royalty)
    WHERE org_id = ${opts.orgId}::uuid AND model_id = ${opts.modelId}`;
  return n > 0;
}

/**
 * Another organisation's public listing of the model whose processing differs from `mine`,
 * by that organisation's name; null when none. Every public listing of the same bytes shares
 * one processing: the royalty a job pays may come from the cheapest of them (jobListing), so a
 * copy published with its own labels or normalisation would change what every other
 * customer's jobs get. Locks the model's row first, so two concurrent publishers are checked
 * one after the other (inside the caller's transaction).
 */
export async function conflictingPublicProcessing(
  db: Db,
  mine: {
    orgId: string;
    modelId: string;
    preprocessing?: ModelPreprocessing;
    postprocessing?: ModelPostprocessing;
    processingOptions?: Record<string, unknown> | null;
  },
): Promise<string | null> {
  await db.$queryRaw`SELECT id FROM models WHERE id = ${mine.modelId} FOR UPDATE`;
  // Unset fields are the caller's current listing's (a visibility change alone).
  const rows = await db.$queryRaw<{ name: string }[]>`
    WITH me AS (
      SELECT COALESCE(${mine.preprocessing ?? null}::text, (SELECT preprocessing::text FROM custom_models WHERE org_id = ${mine.orgId}::uuid AND model_id = ${mine.modelId})) AS pre,
             COALESCE(${mine.postprocessing ?? null}::text, (SELECT postprocessing::text FROM custom_models WHERE org_id = ${mine.orgId}::uuid AND model_id = ${mine.modelId})) AS post,
             CASE WHEN ${mine.processingOptions === undefined}::boolean
                  THEN (SELECT processing_options FROM custom_models WHERE org_id = ${mine.orgId}::uuid AND model_id = ${mine.modelId})
                  ELSE ${mine.processingOptions === undefined || mine.processingOptions === null ? null : JSON.stringify(mine.processingOptions)}::jsonb END AS options
    )
    SELECT o.name FROM custom_models cm JOIN organizations o ON o.id = cm.org_id, me
    WHERE cm.model_id = ${mine.modelId} AND cm.visibility = 'public' AND cm.org_id <> ${mine.orgId}::uuid
      AND (cm.preprocessing::text IS DISTINCT FROM me.pre OR cm.postprocessing::text IS DISTINCT FROM me.post
           OR cm.processing_options IS DISTINCT FROM me.options)
    LIMIT 1`;
  return rows[0]?.name ?? null;
}

/** The listing of an uploaded model a job of an organisation is submitted under (jobListing). */
export interface JobListing {
  orgId: string;
  royalty: bigint;
  preprocessing: ModelPreprocessing;
  postprocessing: ModelPostprocessing;
  processingOptions: Record<string, unknown> | null;
}

/**
 * The listing whose terms a job of `orgId` on the model takes, or null when the organisation
 * may not run it (no row of its own and no public one, e.g. a model made private since its id
 * was resolved): the organisation's own row when it has one, else the public listing with the
 * lowest royalty (the earliest of equals), the one the catalog shows. Its royalty is paid and
 * its processing applied. Identical bytes published again can only lower what customers pay,
 * never raise it: a listing made public later with a higher royalty takes nothing.
 */
export async function jobListing(db: Db, opts: { orgId: string; modelId: string }): Promise<JobListing | null> {
  const rows = await db.$queryRaw<
    {
      org_id: string;
      royalty: bigint | string;
      preprocessing: ModelPreprocessing;
      postprocessing: ModelPostprocessing;
      processing_options: unknown;
    }[]
  >`
    SELECT cm.org_id, cm.royalty, cm.preprocessing::text AS preprocessing, cm.postprocessing::text AS postprocessing, cm.processing_options
    FROM custom_models cm
    WHERE cm.model_id = ${opts.modelId} AND (cm.org_id = ${opts.orgId}::uuid OR cm.visibility = 'public')
    ORDER BY (cm.org_id = ${opts.orgId}::uuid) DESC, cm.royalty ASC, cm.created_at ASC, cm.org_id ASC
    LIMIT 1`;
  const row = rows[0];
  if (!row) return null;
  return {
    orgId: row.org_id,
    royalty: BigInt(row.royalty),
    preprocessing: row.preprocessing,
    postprocessing: row.postprocessing,
    processingOptions: (row.processing_options as Record<string, unknown> | null) ?? null,
  };
}

/**
 * The royalty a job of `orgId` under `listing` (jobListing's) pays, and to whom: nothing on a
 * model the organisation owns itself or a royalty of 0.
 */
export function royaltyOf(listing: JobListing, orgId: string): { amount: bigint; orgId: string } | null {
  if (listing.orgId === orgId || listing.royalty === 0n) return null;
  return { amount: listing.royalty, orgId: listing.orgId };
}

/** The royalty a job of `orgId` on the model pays (royaltyOf its jobListing); `visible` false when it may not run it. */
export async function royaltyFor(
  db: Db,
  opts: { orgId: string; modelId: string },
): Promise<{ visible: boolean; payee: { amount: bigint; orgId: string } | null }> {
  const listing = await jobListing(db, opts);
  return listing ? { visible: true, payee: royaltyOf(listing, opts.orgId) } : { visible: false, payee: null };
}

/** Removes the organisation's row for the model; true when it had one. The content row and
 * the stored file stay: jobs refer to them, and other organisations may own the same bytes. */
export async function deleteModelOwnership(db: Db, opts: { orgId: string; modelId: string }): Promise<boolean> {
  const n = await db.$executeRaw`DELETE FROM custom_models WHERE org_id = ${opts.orgId}::uuid AND model_id = ${opts.modelId}`;
  return n > 0;
}

export interface CustomModelRow {
  id: string;
  slug: string;
  name: string;
  kind: "tensor";
  description: string;
  signature: unknown;
  baseCostMilliCu: number;
  synthetic: boolean;
  /** int8 as text (pg), converted by the caller. */
  fileBytes: string;
  deterministic: boolean;
  visibility: ModelVisibility;
  preprocessing: ModelPreprocessing;
  postprocessing: ModelPostprocessing;
  /** Without `labels` in a list of models (their count is `labelCount`). */
  processingOptions: Record<string, unknown> | null;
  labelCount: number;
  /** Base units per job (int8 as text); what a job of the caller pays is 0 when it owns it. */
  royalty: string;
  /** The listing's organisation, by name: shown for public models. */
  owner: string;
  /** The caller's organisation owns it (its own row); false: another's public one. */
  owned: boolean;
  createdAt: Date;
}

/**
 * The custom models `orgId` may see (null: only public ones), one row per model: the
 * organisation's own row when it has one, else the public one with the lowest royalty (the
 * earliest of equals), the one whose royalty a job pays (royaltyFor). `modelId` narrows it
 * to one model: a private model of another organisation is then no row, as a missing one is.
 */
export async function listVisibleCustomModels(
  db: Db,
  opts: { orgId: string | null; modelId?: string; limit: number },
): Promise<CustomModelRow[]> {
  return db.$queryRaw<CustomModelRow[]>`
    SELECT DISTINCT ON (m.id)
      m.id, m.slug, cm.name, m.kind::text AS kind, m.description, m.signature, m.base_cost_milli_cu AS "baseCostMilliCu",
      m.synthetic, m.file_bytes::text AS "fileBytes", m.deterministic, cm.visibility::text AS visibility,
      cm.preprocessing::text AS preprocessing, cm.postprocessing::text AS postprocessing,
      -- A listing's labels (up to 64 KB) only when one model is asked for: a list carries their count.
      CASE WHEN ${opts.modelId ?? null}::text IS NULL THEN cm.processing_options - 'labels' ELSE cm.processing_options END AS "processingOptions",
      COALESCE(jsonb_array_length(cm.processing_options -> 'labels'), 0) AS "labelCount", cm.royalty::text AS royalty, o.name AS owner,
      COALESCE(cm.org_id = ${opts.orgId}::uuid, false) AS owned, cm.created_at AS "createdAt"
    FROM custom_models cm
    JOIN models m ON m.id = cm.model_id
    JOIN organizations o ON o.id = cm.org_id
    WHERE (cm.org_id = ${opts.orgId}::uuid OR cm.visibility = 'public')
      AND (${opts.modelId ?? null}::text IS NULL OR m.id = ${opts.modelId ?? null}::text)
    ORDER BY m.id, COALESCE(cm.org_id = ${opts.orgId}::uuid, false) DESC, cm.royalty ASC, cm.created_at ASC, cm.org_id ASC
    LIMIT ${opts.limit}::int`;
}

/** Whether `orgId` (null: anyone) may see the model: built-in, its own, or public. */
export async function canSeeModel(db: Db, opts: { orgId: string | null; modelId: string }): Promise<boolean> {
  const rows = await db.$queryRaw<{ ok: boolean }[]>`
    SELECT m.built_in OR EXISTS (
      SELECT 1 FROM custom_models cm
      WHERE cm.model_id = m.id AND (cm.org_id = ${opts.orgId}::uuid OR cm.visibility = 'public')
    ) AS ok
    FROM models m WHERE m.id = ${opts.modelId}`;
  return rows[0]?.ok ?? false;
}
