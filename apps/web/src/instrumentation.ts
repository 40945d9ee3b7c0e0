// Runs once when the Next server starts (Node runtime only).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // The whole configuration is validated here, at start: a bad variable stops the server
    // with the reason instead of failing the first request that reads it.
    const { getEnv } = await import("./server/env");
    getEnv();
    const { installClientAddressStamp } = await import("./server/http/client-address");
    installClientAddressStamp();
    // The indexer's dispatcher, led by one web process at a time (DISPATCH_IN, issue 15); not
    // while `next build` loads the app.
    if (process.env.NEXT_PHASE !== "phase-production-build") {
      const { startDispatchLeadership } = await import("./server/services/dispatch/dispatch-leader");
      startDispatchLeadership();
    }
  }
}
