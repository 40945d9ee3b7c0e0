import type { GpuProbe } from "./detect-gpu.ts";

export type RequestedProvider = "auto" | "cpu" | "cuda";

export interface ProviderChoice {
  provider: "cpu" | "cuda";
  requested: RequestedProvider;
  /** CUDA was asked for (or a GPU is present) and could not be used: said as a warning. */
  fellBack: boolean;
  /** One line for the provider: what runs where, and for a fallback, why and the fix. */
  message: string;
  /** The GPUs nvidia-smi lists, e.g. "NVIDIA L4 (23034 MiB)". */
  gpus: string[];
}

/** The command that reinstalls the worker with onnxruntime-node's CUDA provider (its install script downloads it from NuGet). */
export function cudaInstallCommand(packageUrl: string): string {
  return `ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install -g --allow-scripts=onnxruntime-node ${packageUrl}`;
}

/**
 * Which execution provider the worker benchmarks and runs on. `cpu` is taken as asked;
 * `cuda` and `auto` use CUDA only when the probe ran a model on it, else CPU, with a
 * message that says why and what fixes it. `cuda` asked for and unavailable is a fallback
 * (a warning), never a failure: a provider's worker keeps earning on CPU.
 */
export function chooseExecutionProvider(opts: {
  requested: RequestedProvider;
  probe: GpuProbe | null;
  packageUrl: string;
}): ProviderChoice {
  const { requested, probe } = opts;
  const gpus = probe?.nvidiaSmi.gpus.map((g) => `${g.name} (${g.memoryMiB} MiB)`) ?? [];
  if (requested === "cpu" || !probe) {
    return { provider: "cpu", requested, fellBack: false, message: "execution provider: CPU (as asked)", gpus };
  }
  if (probe.cuda.loads) {
    return { provider: "cuda", requested, fellBack: false, message: `execution provider: CUDA on ${gpus.join(", ") || "the GPU"}`, gpus };
  }
  const why = !probe.nvidiaSmi.found
    ? `no NVIDIA GPU found (${probe.nvidiaSmi.reason ?? "nvidia-smi lists none"})`
    : !probe.cuda.installed
      ? `onnxruntime-node's CUDA provider is not installed. Reinstall the worker with it: ${cudaInstallCommand(opts.packageUrl)} (needs the NVIDIA driver, CUDA 12 and cuDNN 9)`
      : `onnxruntime-node's CUDA provider is installed but did not run a model (${probe.cuda.reason ?? "unknown error"}); it needs the CUDA 12 and cuDNN 9 libraries on the library path, as in the nvidia/cuda:12.8.1-cudnn-runtime image`;
  if (requested === "cuda") {
    return {
      provider: "cpu",
      requested,
      fellBack: true,
      message: `CUDA was asked for but is not available: ${why}. Falling back to CPU.`,
      gpus,
    };
  }
  // auto: a machine without a GPU runs on CPU as a matter of course; one with a GPU it cannot use is worth a warning.
  if (!probe.nvidiaSmi.found) return { provider: "cpu", requested, fellBack: false, message: `execution provider: CPU (${why})`, gpus };
  return {
    provider: "cpu",
    requested,
    fellBack: true,
    message: `found ${gpus.join(", ")} but cannot use it: ${why}. Running on CPU.`,
    gpus,
  };
}
