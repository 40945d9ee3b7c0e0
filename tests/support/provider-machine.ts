import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * A provider's machine, as far as one machine can stand for another: an empty folder outside
 * the repo with a HOME and an npm global prefix of its own, nothing on PATH but node, npm and
 * the system's tools, and no variable of the test's. Commands run in its `work` folder.
 */
export interface ProviderMachine {
  dir: string;
  env: Record<string, string>;
  /** Runs a shell command line as the provider types it. */
  sh(
    command: string,
    opts?: { timeoutMs?: number; extraEnv?: Record<string, string> },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a long-running command (`exec`ed by the shell, so signals reach it) in its own process group. */
  spawn(command: string, opts?: { extraEnv?: Record<string, string>; onLine?: (line: string) => void }): ChildProcess;
  remove(): void;
}

/** The cafile this machine's npm is configured with (global or user npmrc), if any. */
function npmCafile(): string | null {
  const r = spawnSync("npm", ["config", "get", "cafile"], { encoding: "utf8" });
  const v = r.stdout?.trim();
  return r.status === 0 && v && v !== "null" && v !== "undefined" ? v : null;
}

export function createProviderMachine(): ProviderMachine {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "provider-machine-")));
  for (const d of ["home", "work", "npm-global"]) mkdirSync(join(dir, d));
  const cafile = npmCafile();
  const env: Record<string, string> = {
    PATH: `${join(dir, "npm-global", "bin")}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: join(dir, "home"),
    npm_config_prefix: join(dir, "npm-global"),
    // The machine's own download cache, so a test does not fetch onnxruntime-node (80 MB) every run.
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), ".npm"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    TMPDIR: tmpdir(),
    // The machine's TLS trust and proxy, which a provider's shell has too. npm reads its
    // global npmrc from <prefix>/etc/npmrc, so the npm_config_prefix above hides this
    // machine's cafile (/usr/etc/npmrc here): without these every registry fetch failed
    // with SELF_SIGNED_CERT_IN_CHAIN and the install retried until the test timed out.
    ...Object.fromEntries(
      ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"]
        .filter((k) => process.env[k])
        .map((k) => [k, process.env[k] as string]),
    ),
    ...(cafile ? { npm_config_cafile: cafile } : {}),
  };
  return {
    dir,
    env,
    sh(command, opts = {}) {
      return new Promise((resolve) => {
        const child = spawn("sh", ["-c", command], {
          cwd: join(dir, "work"),
          env: { ...env, ...opts.extraEnv },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => {
          stdout += d;
        });
        child.stderr.on("data", (d) => {
          stderr += d;
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
        child.on("exit", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    spawn(command, opts = {}) {
      // exec: the shell becomes the command, so a SIGTERM reaches it as a provider's Ctrl-C
      // or `docker stop` would, and its exit code is the command's.
      const child = spawn("sh", ["-c", `exec ${command}`], {
        cwd: join(dir, "work"),
        env: { ...env, ...opts.extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const onData = (d: Buffer) => {
        for (const line of d.toString().split("\n")) if (line) opts.onLine?.(line);
      };
      for (const s of [child.stdout, child.stderr]) s?.on("data", onData);
      return child;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
