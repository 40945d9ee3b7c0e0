import pino from "pino";
import { getLogEnv } from "./env.ts";

// Structured logs, one JSON line per event, with ids (job, node, org, request).
const globalForLogger = globalThis as unknown as { proofgridLogger?: pino.Logger };

export const logger: pino.Logger =
  globalForLogger.proofgridLogger ??
  (() => {
    const env = getLogEnv();
    return pino({ level: env.LOG_LEVEL, base: { svc: env.PROOFGRID_SERVICE } });
  })();
globalForLogger.proofgridLogger = logger;
