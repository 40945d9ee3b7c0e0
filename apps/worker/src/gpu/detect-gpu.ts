import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { modelFiles } from "@proofgrid/models";

/** What `nvidia-smi` says about this machine's NVIDIA GPUs. */
export interface NvidiaSmiProbe {
  found: boolean;
  gpus: { name: string; memoryMiB: number; driver: string }[];
  /** Why none was found: no driver tool, or the tool failing (driver not loaded). */
  reason?: string;
}

/** Whether onnxruntime-node's CUDA execution provider loads and runs a model here. */
export interface CudaProviderProbe {
  /** The provider libraries onnxruntime-node downloads at install are on disk. */
  installed: boolean;
  loads: boolean;
  reason?: string;
}

export interface GpuProbe {
  nvidiaSmi: NvidiaSmiProbe;
  cuda: CudaProviderProbe;
}

const MAX_GPUS = 64;
/** The driver answers in ~50 ms; a hung driver must not hold `register` forever. */
const NVIDIA_SMI_TIMEOUT_MS = 10_000;
/** Creating a CUDA session (context, cuDNN) takes a few seconds on a cold GPU. */
const CUDA_PROBE_TIMEOUT_MS = 90_000;
const MAX_PROBE_OUTPUT_BYTES = 64 * 1024;

export function probeNvidiaSmi(): Promise<NvidiaSmiProbe> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"],
      { timeout: NVIDIA_SMI_TIMEOUT_MS, maxBuffer: MAX_PROBE_OUTPUT_BYTES, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const reason =
            code === "ENOENT"
              ? "nvidia-smi not found: no NVIDIA driver on this machine"
              : `nvidia-smi failed: ${firstLine(stderr) || firstLine(stdout) || err.message}`;
          return resolve({ found: false, gpus: [], reason });
        }
        const gpus = stdout
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean)
          .slice(0, MAX_GPUS)
          .map((l) => {
            const [name = "", mem = "", driver = ""] = l.split(",").map((s) => s.trim());
            return { name, memoryMiB: Number.parseInt(mem, 10) || 0, driver };
          });
        resolve(gpus.length ? { found: true, gpus } : { found: false, gpus: [], reason: "nvidia-smi lists no GPU" });
      },
    );
  });
}

/** onnxruntime-node's native folder for this platform, where its install script puts the CUDA provider. */
export function onnxruntimeBinDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  return join(pkg, "bin", "napi-v6", process.platform, process.arch);
}

/**
 * Creates a session on the CUDA execution provider alone and runs the VAD model once, in a
 * child process: a failed CUDA load leaves nothing behind in this one, and onnxruntime
 * writes the real cause (a missing libcudnn.so.9, an old driver) only to its log, which
 * the child's stderr captures. The error thrown to JS just says "Failed to load shared library".
 */
export async function probeCudaProvider(): Promise<CudaProviderProbe> {
  const binDir = onnxruntimeBinDir();
  const installed = process.platform !== "linux" || existsSync(join(binDir, "libonnxruntime_providers_cuda.so"));
  const ortMain = createRequire(import.meta.url).resolve("onnxruntime-node");
  const model = (await modelFiles("vad-silero-v5")).onnx[0] as string;
  const script = `
    const ort = require(${JSON.stringify(ortMain)});
    (async () => {
      try {
        const s = await ort.InferenceSession.create(${JSON.stringify(model)}, { executionProviders: ["cuda"] });
        await s.run({
          input: new ort.Tensor("float32", new Float32Array(576), [1, 576]),
          state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
          sr: new ort.Tensor("int64", BigInt64Array.from([16000n]), []),
        });
        await s.release();
        process.stdout.write(JSON.stringify({ ok: true }));
      } catch (e) {
        process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message || e) }));
      }
    })();`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-e", script],
      { timeout: CUDA_PROBE_TIMEOUT_MS, maxBuffer: MAX_PROBE_OUTPUT_BYTES, encoding: "utf8" },
      (err, stdout, stderr) => {
        let parsed: { ok: boolean; error?: string } | undefined;
        try {
          parsed = JSON.parse(stdout) as { ok: boolean; error?: string };
        } catch {
          parsed = undefined;
        }
        if (parsed?.ok) return resolve({ installed, loads: true });
        const cause = ortCause(stderr);
        const reason = [parsed?.error ?? (err ? `probe process failed: ${err.message}` : "probe gave no answer"), cause]
          .filter(Boolean)
          .join(": ");
        resolve({ installed, loads: false, reason: reason.slice(0, 1_000) });
      },
    );
  });
}

export async function probeGpu(): Promise<GpuProbe> {
  const [nvidiaSmi, cuda] = await Promise.all([probeNvidiaSmi(), probeCudaProvider()]);
  return { nvidiaSmi, cuda };
}

/** The useful part of onnxruntime's log line: "... with error: libcudnn.so.9: cannot open shared object file". */
function ortCause(stderr: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the log's ANSI colours
  const text = stderr.replace(/\u001b\[[0-9;]*m/g, "");
  const m = /with error: ([^\n]+)/.exec(text);
  return m?.[1]?.trim() ?? "";
}

function firstLine(s: string): string {
  return (
    s
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? ""
  );
}
