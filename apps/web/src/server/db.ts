import { getPrisma } from "@proofgrid/db/client";
import { getEnv } from "./env.ts";

/** The process's one Prisma client (cached on globalThis by packages/db). */
export function db() {
  getEnv();
  return getPrisma();
}
