import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/processes.ts";

// `npm start` exactly as a person runs it in a fresh clone: in the checkout, with the
// environment of a plain shell, on its default ports (web 3000, Postgres 54329, chain 8545), stopped with
// a terminal's Ctrl-C (SIGINT to the foreground process group). Only one test on a machine
// may do this at a time: it needs those ports, and the checkout's `.data/`.

export const DEFAULT_WEB_PORT = 3000;
export const DEFAULT_PG_PORT = 54329;
/** The local payout chain's Hardhat node. */
export const DEFAULT_CHAIN_PORT = 8545;

const DATA_DIR = join(ROOT, ".data");
/** Where a developer's own `.data/` waits while the test runs from a fresh one. */
const SET_ASIDE = join(ROOT, ".data.set-aside-by-newcomer-test");
/** Everything npm start printed in the last run, for a failure's post-mortem. */
export const NPM_START_LOG = join(tmpdir(), "proofgrid-newcomer-npm-start.log");
/** Output kept for the assertions and for a failure's message (a start prints ~300 lines). */
const MAX_OUTPUT_LINES = 20_000;

/**
 * What a person's shell passes on: no DATABASE_URL, PORT, PROOFGRID_*, NODE_ENV=test or
 * VITEST_* from the test runner. NEXT_TELEMETRY_DISABLED is kept when set (CI sets it; it
 * changes nothing but a network call).
 */
export function shellEnvironment(): Record<string, string> {
  const keep = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TMPDIR",
    "TZ",
    "NEXT_TELEMETRY_DISABLED",
  ];
  const env: Record<string, string> = {};
  for (const k of keep) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, () => srv.close(() => resolve(true)));
  });
}

/**
 * A fresh clone has no `.data/`: move the checkout's aside (restored by `restoreData`). A
 * run killed before restoring leaves its own `.data/` and the set-aside one: the latter is
 * the developer's, so it comes back first.
 */
function setDataAside(): void {
  if (existsSync(SET_ASIDE)) {
    rmSync(DATA_DIR, { recursive: true, force: true });
    renameSync(SET_ASIDE, DATA_DIR);
  }
  if (existsSync(DATA_DIR)) renameSync(DATA_DIR, SET_ASIDE);
}

function restoreData(): void {
  rmSync(DATA_DIR, { recursive: true, force: true });
  if (existsSync(SET_ASIDE)) renameSync(SET_ASIDE, DATA_DIR);
}

/** pid → (parent pid, start time in clock ticks) of every process, from /proc. */
function processTable(): Map<number, { ppid: number; start: string }> {
  const table = new Map<number, { ppid: number; start: string }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(name), { ppid: Number(fields[1]), start: fields[19] ?? "" });
    } catch {
      // exited while we read
    }
  }
  return table;
}

export interface NpmStart {
  /** The URL `npm start` printed after "Web:". */
  url: string;
  /** The demo API key it printed. */
  apiKey: string;
  /** Every line it printed so far (stdout and stderr). */
  output: string[];
  /** Waits for a line matching `re` printed after line `from` (default: any). */
  waitForOutput(re: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<RegExpExecArray>;
  /**
   * Ctrl-C: SIGINT to npm's process group, as a terminal sends it. Resolves when every
   * process started under npm has exited (npm itself dies of the SIGINT at once, as in a
   * terminal; the stack, in a process group of its own, stops in order after it), with
   * how npm exited.
   */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stoppedInMs: number; left: number[] }>;
  /** Processes started under `npm start` (seen while it ran) that are still alive. */
  survivors(): number[];
}

/**
 * Runs `npm start` in the checkout from a fresh `.data/`, and resolves once it printed its
 * URL and key. `onFailure` cleanup: call `stop()` then `cleanUp()` in afterAll whatever happened.
 */
export async function startNpmStart(opts: { timeoutMs: number }): Promise<NpmStart & { cleanUp(): void }> {
  for (const port of [DEFAULT_WEB_PORT, DEFAULT_PG_PORT, DEFAULT_CHAIN_PORT]) {
    if (!(await portFree(port))) throw new Error(`port ${port} is in use: stop what runs there (another npm start?) before this test`);
  }
  setDataAside();
  const output: string[] = [];
  const waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  writeFileSync(NPM_START_LOG, "");
  const onLine = (line: string) => {
    appendFileSync(NPM_START_LOG, `${line}\n`);
    if (output.length >= MAX_OUTPUT_LINES) output.splice(0, 1_000);
    output.push(line);
    for (const w of [...waiters]) {
      const m = output.length - 1 >= w.from ? w.re.exec(line) : null;
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  // detached: npm leads a process group of its own, like a shell job in the foreground.
  const npm: ChildProcess = spawn("npm", ["start"], {
    cwd: ROOT,
    env: shellEnvironment(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [npm.stdout, npm.stderr]) {
    let buf = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once("exit", (code, signal) => resolve({ code, signal })),
  );

  // Every process under npm, with its start time (a pid alone may be reused later).
  const seen = new Map<number, string>();
  const track = () => {
    const table = processTable();
    const tree = new Set<number>(npm.pid ? [npm.pid] : []);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, p] of table) {
        if (!tree.has(pid) && tree.has(p.ppid)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    for (const pid of tree) seen.set(pid, table.get(pid)?.start ?? "");
  };
  const tracker = setInterval(track, 500);

  function waitForOutput(re: RegExp, o: { from?: number; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    const from = o.from ?? 0;
    for (let i = from; i < output.length; i++) {
      const m = re.exec(output[i] ?? "");
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `npm start printed nothing matching ${re} in ${o.timeoutMs ?? 60_000} ms; its last lines:\n${output.slice(-40).join("\n")}`,
          ),
        );
      }, o.timeoutMs ?? 60_000);
      const waiter = {
        re,
        from,
        resolve: (m: RegExpExecArray) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      waiters.push(waiter);
      void exited.then(({ code, signal }) => {
        // The stack outlives npm by a moment: give its last lines time to arrive.
        setTimeout(() => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(
              new Error(`npm start exited (${code ?? signal}) before printing ${re}; its last lines:\n${output.slice(-40).join("\n")}`),
            );
          }
        }, 2_000);
      });
    });
  }

  let stopped: ReturnType<NpmStart["stop"]> | undefined;
  function stop(): ReturnType<NpmStart["stop"]> {
    stopped ??= (async () => {
      track();
      clearInterval(tracker);
      const t0 = Date.now();
      if (npm.exitCode === null && npm.signalCode === null && npm.pid) process.kill(-npm.pid, "SIGINT");
      const how = await exited;
      // Every process under npm, the stack's own group included, within the shutdown's bounds
      // (the worker's 20 s grace, then the web app and Postgres).
      const deadline = Date.now() + 90_000;
      while (survivors().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const stoppedInMs = Date.now() - t0;
      const left = survivors();
      // Not what a person wants either: force what is left (the test then fails on `left`).
      for (const pid of left) process.kill(pid, "SIGKILL");
      return { ...how, stoppedInMs, left };
    })();
    return stopped;
  }

  function survivors(): number[] {
    const table = processTable();
    return [...seen].filter(([pid, start]) => table.get(pid)?.start === start).map(([pid]) => pid);
  }

  const cleanUp = () => {
    clearInterval(tracker);
    for (const pid of survivors()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    restoreData();
  };

  try {
    await waitForOutput(/Proofgrid is running\./, { timeoutMs: opts.timeoutMs });
    const url = (await waitForOutput(/^\s+Web:\s+(\S+)/, { timeoutMs: 5_000 }))[1] ?? "";
    const apiKey = (await waitForOutput(/^\s+API key:\s+(\S+)/, { timeoutMs: 5_000 }))[1] ?? "";
    return { url, apiKey, output, waitForOutput, stop, survivors, cleanUp };
  } catch (err) {
    await stop();
    cleanUp();
    throw err;
  }
}

/** Whether the ports are free again (after stop). */
export async function defaultPortsFree(): Promise<boolean> {
  return (await portFree(DEFAULT_WEB_PORT)) && (await portFree(DEFAULT_PG_PORT)) && (await portFree(DEFAULT_CHAIN_PORT));
}
