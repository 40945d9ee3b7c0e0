import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";

/** Always the package this platform was built with: what the portal's commands install. */
export const WORKER_PACKAGE_ALIAS = "proofgrid-worker.tgz";
const VERSIONED = /^proofgrid-worker-(\d{1,4}\.\d{1,4}\.\d{1,4})\.tgz$/;
/** How far up from the server's working directory (apps/web) the repo root can be. */
const MAX_PARENT_STEPS = 8;

/** What scripts/pack-worker.ts writes next to the tarball. */
const ZLatest = z.object({
  version: z.string(),
  file: z.string().regex(VERSIONED),
  bytes: z.number().int().positive(),
  /** npm's integrity string (sha512) of the tarball. */
  integrity: z.string(),
});

export interface WorkerPackage {
  path: string;
  file: string;
  version: string;
  bytes: number;
  etag: string;
}

/** PROOFGRID_WORKER_PACK_DIR, else `apps/worker/pack` in the repo the server runs from. */
export function workerPackDir(): string | null {
  const configured = getEnv().PROOFGRID_WORKER_PACK_DIR;
  if (configured) return resolve(configured);
  for (let dir = process.cwd(), i = 0; i < MAX_PARENT_STEPS; i++) {
    const candidate = join(dir, "apps", "worker", "pack");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * The packed worker a provider installs (`npm install -g <platform>/downloads/proofgrid-worker.tgz`):
 * the alias names the latest build, a versioned name that exact build. Only names of that
 * form are ever looked up, so the route cannot be walked out of its folder.
 */
export function getWorkerPackage(file: string): WorkerPackage {
  if (file !== WORKER_PACKAGE_ALIAS && !VERSIONED.test(file)) throw new AppError("NOT_FOUND", "no such download");
  const dir = workerPackDir();
  const latestFile = dir ? join(dir, "latest.json") : null;
  if (!dir || !latestFile || !existsSync(latestFile)) {
    throw new AppError(
      "NOT_FOUND",
      "the worker package has not been built on this platform: run `npm run pack:worker` (npm start does it)",
    );
  }
  const latest = ZLatest.parse(JSON.parse(readFileSync(latestFile, "utf8")));
  const name = file === WORKER_PACKAGE_ALIAS ? latest.file : file;
  const path = join(dir, name);
  if (!existsSync(path)) throw new AppError("NOT_FOUND", `no worker package ${name} on this platform (the latest is ${latest.file})`);
  const st = statSync(path);
  // The latest build's integrity; an older file (kept by a provider's pin) by size and time.
  const etag = name === latest.file && st.size === latest.bytes ? `"${latest.integrity}"` : `"${st.size}-${Math.floor(st.mtimeMs)}"`;
  const version = VERSIONED.exec(name)?.[1] ?? latest.version;
  return { path, file: name, version, bytes: st.size, etag };
}
