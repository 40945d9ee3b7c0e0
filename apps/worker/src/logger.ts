import pino from "pino";

export function createLogger(level: string, bindings: Record<string, unknown> = {}) {
  return pino({ level, base: { svc: "worker", ...bindings } });
}
export type Logger = ReturnType<typeof createLogger>;
