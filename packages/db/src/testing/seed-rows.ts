import type pg from "pg";

/**
 * The rows most statement tests start from: one catalog-like model (an embedding model of
 * 1 milli-CU a unit), organisations by id and slug, and online nodes serving the model.
 */
export async function seedModelAndOrgs(
  pool: pg.Pool,
  opts: {
    model: { id: string; slug: string };
    orgs: readonly (readonly [id: string, slug: string])[];
    orgColumns?: { donatesChallengeInputs?: boolean };
    nodes?: readonly { id: string; orgId: string; role?: "worker" | "checker" }[];
  },
): Promise<void> {
  await pool.query(
    `INSERT INTO models (id, slug, name, kind, description, signature, base_cost_milli_cu)
    VALUES ($1, $2, 'm', 'embedding', '', '{}', 1)`,
    [opts.model.id, opts.model.slug],
  );
  const donates = opts.orgColumns?.donatesChallengeInputs ?? false;
  for (const [id, slug] of opts.orgs) {
    await pool.query(`INSERT INTO organizations (id, name, slug, donates_challenge_inputs) VALUES ($1, $2, $2, $3)`, [id, slug, donates]);
  }
  for (const n of opts.nodes ?? []) {
    await pool.query(
      `INSERT INTO nodes (id, org_id, name, public_key, region, role, status, models)
      VALUES ($1, $2, $3, $4, 'local', $5, 'online', $6)`,
      [n.id, n.orgId, n.id.slice(0, 8), `k-${n.id}`, n.role ?? "worker", [opts.model.id]],
    );
  }
}
