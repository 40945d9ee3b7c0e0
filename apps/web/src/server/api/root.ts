import { accountRouter } from "./routers/account.ts";
import { adminRouter } from "./routers/admin.ts";
import { billingRouter } from "./routers/billing.ts";
import { customModelsRouter } from "./routers/custom-models.ts";
import { jobsRouter } from "./routers/jobs.ts";
import { keysRouter } from "./routers/keys.ts";
import { marketRouter } from "./routers/market.ts";
import { membersRouter } from "./routers/members.ts";
import { modelsRouter } from "./routers/models.ts";
import { payoutsRouter } from "./routers/payouts.ts";
import { providersRouter } from "./routers/providers.ts";
import { reservationsRouter } from "./routers/reservations.ts";
import { rewardsRouter } from "./routers/rewards.ts";
import { usageRouter } from "./routers/usage.ts";
import { verificationRouter } from "./routers/verification.ts";
import { webhooksRouter } from "./routers/webhooks.ts";
import { workersRouter } from "./routers/workers.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  admin: adminRouter,
  jobs: jobsRouter,
  models: modelsRouter,
  customModels: customModelsRouter,
  billing: billingRouter,
  payouts: payoutsRouter,
  rewards: rewardsRouter,
  providers: providersRouter,
  keys: keysRouter,
  verification: verificationRouter,
  market: marketRouter,
  members: membersRouter,
  reservations: reservationsRouter,
  workers: workersRouter,
  usage: usageRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
