import { getUsageOverview } from "../../services/usage/get-usage-overview.ts";
import { ZUsageOverviewRequest } from "../../services/usage/usage-window.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

// The startup dashboard's overview: spend, jobs, success rate and time to result over a
// window, for ctx.org only (the CSV of the same jobs is GET /api/v1/usage.csv).
export const usageRouter = createTRPCRouter({
  overview: orgProcedure("jobs:read")
    .input(ZUsageOverviewRequest)
    .query(({ ctx, input }) => getUsageOverview({ orgId: ctx.org.orgId, request: input })),
});
