import type { Db } from "../db-types.ts";

/**
 * The model of one of the node's last 100 customer jobs of the last day (assigned, running or
 * finished), drawn at random; null when it had none.
 */
export async function drawRecentCustomerModel(db: Db, opts: { nodeId: string }): Promise<string | null> {
  const rows = await db.$queryRaw<{ model_id: string }[]>`
    SELECT model_id FROM (
      SELECT j.model_id FROM jobs j WHERE j.node_id = ${opts.nodeId}::uuid AND j.purpose <> 'challenge'
        AND j.state = ANY(ARRAY['assigned', 'running', 'succeeded', 'failed']::"JobState"[]) AND j.created_at > now() - interval '1 day'
      ORDER BY j.created_at DESC LIMIT 100
    ) recent ORDER BY random() LIMIT 1`;
  return rows[0]?.model_id ?? null;
}
