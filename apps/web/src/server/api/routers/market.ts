import { z } from "zod";
import { setAskPrice, ZSetAskPriceRequest } from "../../services/market/ask-price.ts";
import { getNodeDiagnostics } from "../../services/market/diagnostics.ts";
import { getMarket, ZMarketQuery } from "../../services/market/market.ts";
import { quoteJob, ZQuoteRequest } from "../../services/market/quote.ts";
import { listRegions } from "../../services/market/regions.ts";
import { createTRPCRouter, orgProcedure, publicProcedure } from "../trpc.ts";

const ZNodeId = z.string().max(64);

export const marketRouter = createTRPCRouter({
  regions: publicProcedure.query(() => listRegions()),
  market: publicProcedure.input(ZMarketQuery).query(({ input }) => getMarket(input)),
  quote: orgProcedure("jobs:write")
    .input(ZQuoteRequest)
    .query(({ ctx, input }) => quoteJob({ orgId: ctx.org.orgId, request: input })),
  diagnostics: orgProcedure("nodes:read")
    .input(z.object({ nodeId: ZNodeId }))
    .query(({ ctx, input }) => getNodeDiagnostics({ orgId: ctx.org.orgId, nodeId: input.nodeId })),
  setAskPrice: orgProcedure("nodes:write")
    .input(ZSetAskPriceRequest.extend({ nodeId: ZNodeId }))
    .mutation(({ ctx, input }) =>
      setAskPrice({ orgId: ctx.org.orgId, nodeId: input.nodeId, request: { askPricePerCu: input.askPricePerCu } }),
    ),
});
