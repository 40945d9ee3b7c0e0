/**
 * The second check of an uploaded model (issue 17), after validateOnnx: onnxruntime-node loads
 * it and runs it on zero inputs at its declared (bounded) shapes, twice, in a separate
 * process with a memory and a time limit. A model that crashes onnxruntime, hangs, or
 * allocates past the limit is refused with the reason, and the process that asked stays up:
 * the child is killed, not the platform.
 *
 * Memory: onnxruntime allocates natively, outside V8's heap, so the limit is the child's
 * resident set, read from /proc/<pid>/status every few milliseconds (Linux: the workers' and
 * the platform's machines); past it, the child is killed. An allocation made between two
 * reads can overshoot by what one operator allocates in that time. Where /proc is absent the
 * time limit still holds and the report says memory was not watched.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageDir } from "../package-dir.ts";
import type { TensorSignature } from "./validate-onnx.ts";

/**
 * The child's script: beside this file when it runs from source (tests, scripts); from the
 * installed package when this file is bundled into the web app's server, where the bundler
 * rewrites `new URL("./x", import.meta.url)` into an asset URL Node's fileURLToPath refuses
 * (`next build` failed on it) and the chunk's folder holds no such script.
 */
function childScript(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), "sandbox-child.mjs");
  if (existsSync(beside)) return beside;
  return join(packageDir("@proofgrid/models"), "src", "custom", "sandbox-child.mjs");
}
const WATCH_EVERY_MS = 10;

export interface SandboxLimits {
  /** Resident set the child may reach (bytes). */
  memoryBytes: number;
  /** Wall time for loading and both runs (ms). */
  timeoutMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryBytes: 1024 * 1024 * 1024, timeoutMs: 60_000 };

export type SandboxResult =
  | {
      ok: true;
      createMs: number;
      /** Each run's milliseconds (zero inputs at the bounds: the heaviest input it may be sent). */
      runMs: number[];
      outputs: { name: string; type: string; dims: number[] }[];
      /** The two runs gave the same bytes. */
      deterministic: boolean;
      peakRssBytes: number | null;
    }
  | { ok: false; reason: "memory" | "time" | "crash" | "load"; message: string; peakRssBytes: number | null };

function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Loads and runs the model file at `modelPath` (or its bytes) in a child process under `limits`. */
export async function runInSandbox(
  model: { path: string } | { bytes: Uint8Array },
  inputs: readonly TensorSignature[],
  limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS,
): Promise<SandboxResult> {
  const dir = "bytes" in model ? mkdtempSync(join(tmpdir(), "proofgrid-sandbox-")) : null;
  const modelPath = "bytes" in model ? join(dir as string, "model.onnx") : model.path;
  if ("bytes" in model) writeFileSync(modelPath, model.bytes);
  try {
    return await new Promise<SandboxResult>((resolve) => {
      // An empty environment: the child gets nothing of the platform's settings or secrets.
      // (Cast: under the web app's Next types, which also compile this file, a ProcessEnv must name NODE_ENV.)
      const env = { PATH: process.env.PATH ?? "" } as Partial<NodeJS.ProcessEnv> as NodeJS.ProcessEnv;
      const child = spawn(process.execPath, [childScript()], { stdio: ["pipe", "pipe", "pipe"], env });
      let stdout = "";
      let stderr = "";
      let peak: number | null = null;
      let verdict: SandboxResult | null = null;
      const kill = (r: SandboxResult) => {
        verdict ??= r;
        child.kill("SIGKILL");
      };
      const watch = setInterval(() => {
        const rss = child.pid ? rssOf(child.pid) : null;
        if (rss !== null) peak = Math.max(peak ?? 0, rss);
        if (rss !== null && rss > limits.memoryBytes) {
          kill({
            ok: false,
            reason: "memory",
            message: `it allocated past the memory limit of ${limits.memoryBytes} bytes`,
            peakRssBytes: peak,
          });
        }
      }, WATCH_EVERY_MS);
      const timer = setTimeout(() => {
        kill({ ok: false, reason: "time", message: `it ran past the time limit of ${limits.timeoutMs} ms`, peakRssBytes: peak });
      }, limits.timeoutMs);
      child.stdout.on("data", (c: Buffer) => {
        if (stdout.length < 1_000_000) stdout += c.toString("utf8");
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr = (stderr + c.toString("utf8")).slice(-4_000);
      });
      child.on("error", (err) => kill({ ok: false, reason: "crash", message: err.message, peakRssBytes: peak }));
      child.on("close", (code, signal) => {
        clearInterval(watch);
        clearTimeout(timer);
        if (verdict) return resolve(verdict);
        const line = stdout.trim().split("\n").at(-1) ?? "";
        let report: { ok: boolean; error?: string } & Record<string, unknown>;
        try {
          report = JSON.parse(line);
        } catch {
          return resolve({
            ok: false,
            reason: "crash",
            message: `onnxruntime crashed (${signal ?? `exit ${code}`}): ${stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500) || "no message"}`,
            peakRssBytes: peak,
          });
        }
        if (!report.ok)
          return resolve({
            ok: false,
            reason: "load",
            message: `onnxruntime refused it: ${report.error ?? "no message"}`,
            peakRssBytes: peak,
          });
        resolve({
          ok: true,
          createMs: report.createMs as number,
          runMs: report.runMs as number[],
          outputs: report.outputs as { name: string; type: string; dims: number[] }[],
          deterministic: report.deterministic as boolean,
          peakRssBytes: peak,
        });
      });
      child.stdin.end(JSON.stringify({ modelPath, inputs, runs: 2, intraOpNumThreads: 1 }));
    });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
