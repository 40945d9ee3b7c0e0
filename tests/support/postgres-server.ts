import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type EmbeddedPostgres, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";

/**
 * A Postgres server of a test's own, which the test may stop and start under the running
 * processes (the shared test server serves other files and must never be restarted). The
 * data dir is on tmpfs when there is one: initdb there takes about a second.
 */
export interface RestartablePostgres {
  /** URL of the migrated `proofgrid` database. */
  url: string;
  port: number;
  /** Stops the server (`immediate`: as a crash would; `fast`: clients are told), waits `downMs`, starts it on the same port. */
  restart(opts: { mode: "fast" | "immediate"; downMs: number }): Promise<{ downMs: number }>;
  /** Stops the server and removes its data dir. */
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(opts: { settings?: Record<string, string> } = {}): Promise<RestartablePostgres> {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const dir = await mkdtemp(join(base, "proofgrid-faults-pg-"));
  const dataDir = join(dir, "data");
  const settings = {
    // The faults are the process's, not the disk's: durability settings stay at their
    // defaults except fsync, which tmpfs makes moot.
    fsync: "off",
    dynamic_shared_memory_type: "mmap",
    max_connections: "200",
    ...opts.settings,
  };
  let server: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, settings });
  const port = server.port;
  const url = await createDatabase(server.url, "proofgrid");
  await migrate({ url });
  return {
    url,
    port,
    async restart({ mode, downMs }) {
      const t0 = performance.now();
      await server.stop({ mode });
      await new Promise((r) => setTimeout(r, downMs));
      server = await startEmbeddedPostgres({ dataDir, port, strictPort: true, settings });
      return { downMs: Math.round(performance.now() - t0) };
    },
    async destroy() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
