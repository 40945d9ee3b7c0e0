import { z } from "zod";
import { getNodeDiagnostics } from "../../services/market/diagnostics.ts";
import { getCapabilityEvidence } from "../../services/providers/get-capability-evidence.ts";
import { getEarningsSeries } from "../../services/providers/earnings-series.ts";
import { getWorker } from "../../services/providers/get-worker.ts";
import { listWorkers } from "../../services/providers/list-workers.ts";
import { removeWorker } from "../../services/providers/remove-worker.ts";
import { updateWorker, ZUpdateWorkerRequest } from "../../services/providers/update-worker.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

// The provider portal (/dashboard/workers): the organisation's workers, each one's page,
// and earnings over time. Every procedure is scoped to ctx.org; another provider's node
// is NOT_FOUND, like a missing one.
const ZWorkerId = z.object({ id: z.string().max(64) });

export const workersRouter = createTRPCRouter({
  list: orgProcedure("nodes:read").query(({ ctx }) => listWorkers({ orgId: ctx.org.orgId })),
  get: orgProcedure("nodes:read")
    .input(ZWorkerId)
    .query(({ ctx, input }) => getWorker({ orgId: ctx.org.orgId, nodeId: input.id })),
  capability: orgProcedure("nodes:read")
    .input(ZWorkerId)
    .query(({ ctx, input }) => getCapabilityEvidence({ orgId: ctx.org.orgId, nodeId: input.id })),
  diagnostics: orgProcedure("nodes:read")
    .input(ZWorkerId)
    .query(({ ctx, input }) => getNodeDiagnostics({ orgId: ctx.org.orgId, nodeId: input.id })),
  /** Rename, pause (drain) or resume, or set the ask of one of the organisation's workers. */
  update: orgProcedure("nodes:write")
    .input(z.object({ id: z.string().max(64), change: ZUpdateWorkerRequest }))
    .mutation(({ ctx, input }) => updateWorker({ orgId: ctx.org.orgId, nodeId: input.id, request: input.change })),
  /** Retire a worker: refused while it holds jobs, stake or held earnings. */
  remove: orgProcedure("nodes:write")
    .input(ZWorkerId)
    .mutation(({ ctx, input }) => removeWorker({ orgId: ctx.org.orgId, nodeId: input.id })),
  earnings: orgProcedure("nodes:read")
    .input(z.object({ range: z.enum(["day", "fortnight"]).default("day"), id: z.string().max(64).optional() }))
    .query(async ({ ctx, input }) => {
      // A node id is checked against the organisation first: its series would otherwise be empty, not a 404.
      if (input.id) await getWorker({ orgId: ctx.org.orgId, nodeId: input.id });
      return getEarningsSeries({ orgId: ctx.org.orgId, range: input.range, nodeId: input.id });
    }),
});
