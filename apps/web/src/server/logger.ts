import pino from "pino";

// Structured logs, one JSON line per event, with ids (job, node, org, request).
const globalForLogger = globalThis as unknown as { proofgridLogger?: pino.Logger };

export const logger: pino.Logger =
  globalForLogger.proofgridLogger ??
  pino({ level: process.env.LOG_LEVEL ?? "info", base: { svc: process.env.PROOFGRID_SERVICE ?? "web" } });
globalForLogger.proofgridLogger = logger;
