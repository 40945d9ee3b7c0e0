import type { Db } from "../db-types.ts";
import type { CheckVerdict } from "../generated/prisma/enums.ts";

/** A verdict about a node, as a worker (its result was checked) or as a checker (its report was). */
export type NodeVerdictRole = "worker" | "checker";

/**
 * Records a verdict once per (node, check, role), its reason cut to 200 characters: true when
 * it was inserted, false when it was already there (a retried report).
 */
export async function insertNodeVerdict(
  db: Db,
  opts: { nodeId: string; checkId: string; role: NodeVerdictRole; verdict: CheckVerdict; reason: string },
): Promise<boolean> {
  const inserted = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO node_verdicts (node_id, check_id, role, verdict, reason)
    VALUES (${opts.nodeId}::uuid, ${opts.checkId}::uuid, ${opts.role}, ${opts.verdict}::"CheckVerdict", ${opts.reason.slice(0, 200)})
    ON CONFLICT (node_id, check_id, role) DO NOTHING RETURNING id`;
  return inserted.length > 0;
}

/** A node's latest conclusive verdicts (in either role), the newest first, at most `limit`. */
export type ConclusiveVerdict = Exclude<CheckVerdict, "inconclusive">;

export async function loadRecentVerdicts(db: Db, opts: { nodeId: string; limit: number }): Promise<ConclusiveVerdict[]> {
  const recent = await db.$queryRaw<{ verdict: ConclusiveVerdict }[]>`
    SELECT verdict::text AS verdict FROM node_verdicts WHERE node_id = ${opts.nodeId}::uuid AND verdict <> 'inconclusive'
    ORDER BY id DESC LIMIT ${opts.limit}`;
  return recent.map((r) => r.verdict);
}
