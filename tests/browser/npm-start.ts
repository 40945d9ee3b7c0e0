import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/processes.ts";

// `npm start` exactly as a person runs it in a fresh clone: in the checkout, with the
// environment of a plain shell, on its default ports (web 3000, Postgres 54329), stopped with
// a terminal's Ctrl-C (SIGINT to the foreground process group). Only one test on a machine
// may do this at a time: it needs those ports, and the checkout's `.data/`.

export const DEFAULT_WEB_PORT = 3000;
export const DEFAULT_PG_PORT = 54329;

const DATA_DIR = join(ROOT, ".data");
/** Where a developer's own `.data/` waits while the test runs from a fresh one. */
const SET_ASIDE = join(ROOT, ".data.set-aside-by-newcomer-test");
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
  /** Ctrl-C: SIGINT to npm's process group, as a terminal sends it. Resolves with npm's exit code. */
  stop(): Promise<number | null>;
  /** Processes started under `npm start` (seen while it ran) that are still alive. */
  survivors(): number[];
}

/**
 * Runs `npm start` in the checkout from a fresh `.data/`, and resolves once it printed its
 * URL and key. `onFailure` cleanup: call `stop()` then `cleanUp()` in afterAll whatever happened.
 */
export async function startNpmStart(opts: { timeoutMs: number }): Promise<NpmStart & { cleanUp(): void }> {
  for (const port of [DEFAULT_WEB_PORT, DEFAULT_PG_PORT]) {
    if (!(await portFree(port))) throw new Error(`port ${port} is in use: stop what runs there (another npm start?) before this test`);
  }
  setDataAside();
  const output: string[] = [];
  const waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  const onLine = (line: string) => {
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
  const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });

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
      void exited.then((code) => {
        if (waiters.includes(waiter)) {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`npm start exited (code ${code}) before printing ${re}; its last lines:\n${output.slice(-40).join("\n")}`));
        }
      });
    });
  }

  async function stop(): Promise<number | null> {
    clearInterval(tracker);
    if (exitCode !== undefined) return exitCode;
    track();
    if (npm.pid) process.kill(-npm.pid, "SIGINT");
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 90_000));
    if ((await Promise.race([exited, timeout])) === "timeout") {
      // Not what a person wants to see either: force it (the test then fails on the exit code).
      if (npm.pid) process.kill(-npm.pid, "SIGKILL");
      for (const pid of survivors()) process.kill(pid, "SIGKILL");
      return -1;
    }
    return exited;
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
    const from = (await waitForOutput(/Proofgrid is running\./, { timeoutMs: opts.timeoutMs })).index;
    void from;
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
  return (await portFree(DEFAULT_WEB_PORT)) && (await portFree(DEFAULT_PG_PORT));
}
