/**
 * `npm start`: the whole marketplace on one machine — embedded Postgres (data in .data/),
 * migrations, demo seed, the web app on :3000, the coordinator and one local worker.
 * With DATABASE_URL set, that Postgres is used instead. Ctrl-C stops everything.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createDatabase, databaseUrl, type EmbeddedPostgres, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import pg from "pg";
import { ensureWebBuild, ROOT, type Spawned, spawnCoordinator, spawnWeb, spawnWorker, waitForHttp, workerArgs } from "./lib/processes.ts";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PORT = Number(process.env.PORT ?? 3000);
const DATA_DIR = resolve(process.env.PROOFGRID_DATA_DIR ?? join(ROOT, ".data"));
const say = (msg: string) => console.log(`[proofgrid] ${msg}`);

async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl(adminUrl, "postgres") });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await createDatabase(adminUrl, name);
  } finally {
    await client.end();
  }
  return databaseUrl(adminUrl, name);
}

async function main() {
  mkdirSync(DATA_DIR, { recursive: true });
  let embedded: EmbeddedPostgres | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    say("starting embedded Postgres (data in .data/pg)...");
    embedded = await startEmbeddedPostgres({ dataDir: join(DATA_DIR, "pg"), port: Number(process.env.PG_PORT ?? 54329) });
    url = await ensureDatabase(embedded.url, "proofgrid");
  }
  process.env.DATABASE_URL = url;
  process.env.PROOFGRID_DATA_DIR = DATA_DIR;
  const applied = await migrate({ url });
  say(`database ready (${applied.length} migration(s) applied)`);

  const { seedDemo, demoRegistrationToken } = await import("../apps/web/src/server/services/seed/seed-demo.ts");
  const seed = await seedDemo();
  const platformUrl = `http://localhost:${PORT}`;

  ensureWebBuild(say);
  const env = { DATABASE_URL: url, PROOFGRID_DATA_DIR: DATA_DIR };
  const children: Spawned[] = [];
  const web = spawnWeb({ port: PORT, env });
  children.push(web);
  await waitForHttp(`http://127.0.0.1:${PORT}/api/health`, { timeoutMs: 60_000, process: web });
  children.push(spawnCoordinator({ env }));

  const nodeDir = join(DATA_DIR, "worker");
  if (!existsSync(join(nodeDir, "node.json"))) {
    say("registering the local worker (measures its capability first)...");
    const token = await demoRegistrationToken(seed.providerOrgId, platformUrl);
    const res = spawnSync(process.execPath, workerArgs(["register", "--token", token, "--region", "local", "--name", "local-worker"]), {
      env: { ...process.env, PROOFGRID_URL: platformUrl, PROOFGRID_NODE_DIR: nodeDir },
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (res.status !== 0) throw new Error("worker registration failed");
  }
  children.push(spawnWorker(["start"], { env: { PROOFGRID_URL: platformUrl, PROOFGRID_NODE_DIR: nodeDir, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" } }));

  console.log(`
  Proofgrid is running.

    Web:        ${platformUrl}
    API key:    ${seed.apiKey}
    Models:     ${seed.models.map((m) => m.slug).join(", ")}

  Try it:
    curl -s ${platformUrl}/api/v1/models -H "Authorization: Bearer ${seed.apiKey}"
    curl -s ${platformUrl}/api/v1/jobs -H "Authorization: Bearer ${seed.apiKey}" \\
      -H 'content-type: application/json' \\
      -d '{"model":"encoder-synthetic-minilm","input":{"text":"hello proofgrid"}}'

  Press Ctrl-C to stop.
`);

  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) {
      say("second signal: forcing exit");
      for (const c of children) c.child.kill("SIGKILL");
      process.exit(1);
    }
    stopping = true;
    say(`${sig}: stopping worker, coordinator, web and database...`);
    // Worker first (it hands back its jobs), then the loops, then the web app.
    for (const c of [...children].reverse()) await c.stop(25_000);
    await embedded?.stop();
    say("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  for (const c of children) {
    void c.exited.then((code) => {
      if (!stopping) {
        say(`${c.name} exited with code ${code}; stopping`);
        void shutdown("child-exit");
      }
    });
  }
}

main().catch((err: unknown) => {
  console.error(`[proofgrid] start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
