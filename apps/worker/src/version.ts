/**
 * The worker's version, sent at registration and in the packed package's name. The pack
 * script (scripts/pack-worker.ts) refuses to build when apps/worker/package.json says otherwise.
 */
export const WORKER_VERSION = "0.1.0";
