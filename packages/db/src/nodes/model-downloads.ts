import type { Db } from "../db-types.ts";

/**
 * Whether the node may download the model's file (issue 17): only while it holds work on it.
 * A worker holds a job of the model assigned to it or running under it, its lease unexpired;
 * a checker holds a leased check of the model (the check's own model, or that of the job it
 * re-executes). Anything else — a finished job, a lapsed lease, another node's job — is no,
 * so a node cannot collect private models by guessing hashes.
 */
export async function nodeMayDownloadModel(db: Db, opts: { nodeId: string; modelId: string }): Promise<boolean> {
  const rows = await db.$queryRaw<{ ok: boolean }[]>`
    SELECT EXISTS (
        SELECT 1 FROM jobs j
        WHERE j.node_id = ${opts.nodeId}::uuid AND j.model_id = ${opts.modelId}
          AND j.state IN ('assigned', 'running') AND (j.lease_expires_at IS NULL OR j.lease_expires_at > now())
      ) OR EXISTS (
        SELECT 1 FROM checks c LEFT JOIN jobs cj ON cj.id = c.job_id
        WHERE c.checker_node_id = ${opts.nodeId}::uuid AND c.status = 'leased'
          AND (c.lease_expires_at IS NULL OR c.lease_expires_at > now())
          AND (c.model_id = ${opts.modelId} OR cj.model_id = ${opts.modelId})
      ) AS ok`;
  return rows[0]?.ok === true;
}
