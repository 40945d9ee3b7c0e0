import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chooseExecutionProvider, cudaInstallCommand } from "./choose-execution-provider.ts";
import { type GpuProbe, probeGpu } from "./detect-gpu.ts";

const PACKAGE_URL = "https://platform.example/downloads/proofgrid-worker.tgz";
const BIN = fileURLToPath(new URL("../../bin/proofgrid-worker.mjs", import.meta.url));

describe("choosing the execution provider from this machine's real probes", () => {
  // No mock of onnxruntime: nvidia-smi and a CUDA session are really tried here. These
  // machines have no NVIDIA driver and onnxruntime-node's CUDA provider is not installed
  // (its install script is denied: platform-notes.md), so CUDA must not be chosen and a
  // request for it must fall back to CPU with the reason and the fix.
  let probe: GpuProbe;

  it("probes: the CUDA provider does not run a model here, and the probe says why", async () => {
    probe = await probeGpu();
    if (probe.cuda.loads) return; // a machine with a working GPU: the next test covers the choice
    expect(probe.cuda.reason).toMatch(/Failed to load shared library/);
    if (!probe.cuda.installed) expect(probe.cuda.reason).toMatch(/libonnxruntime_providers_(shared|cuda)\.so/);
    if (!probe.nvidiaSmi.found) expect(probe.nvidiaSmi.reason).toMatch(/nvidia-smi/);
  });

  it("cuda asked for: CUDA when it runs, else CPU with a warning that names the cause and the fix", () => {
    const choice = chooseExecutionProvider({ requested: "cuda", probe, packageUrl: PACKAGE_URL });
    if (probe.cuda.loads) {
      expect(choice).toMatchObject({ provider: "cuda", fellBack: false });
      return;
    }
    expect(choice.provider).toBe("cpu");
    expect(choice.fellBack).toBe(true);
    expect(choice.message).toMatch(/^CUDA was asked for but is not available: .+\. Falling back to CPU\.$/);
    if (!probe.nvidiaSmi.found) expect(choice.message).toContain("no NVIDIA GPU found (nvidia-smi not found");
    else if (!probe.cuda.installed) expect(choice.message).toContain(cudaInstallCommand(PACKAGE_URL));
  });

  it("auto: the same probe, CPU without a warning when there is no GPU at all", () => {
    const choice = chooseExecutionProvider({ requested: "auto", probe, packageUrl: PACKAGE_URL });
    expect(choice.provider).toBe(probe.cuda.loads ? "cuda" : "cpu");
    if (!probe.nvidiaSmi.found)
      expect(choice).toMatchObject({ fellBack: false, message: expect.stringMatching(/^execution provider: CPU \(no NVIDIA GPU found/) });
  });

  it("the CLI falls back and benchmarks on the provider it chose (bench --execution-provider cuda)", () => {
    const res = spawnSync(process.execPath, [BIN, "bench", "--execution-provider", "cuda", "--iterations", "1"], {
      encoding: "utf8",
      env: { ...process.env, PROOFGRID_URL: "https://platform.example" },
      timeout: 240_000,
    });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { cuPerHour: number; executionProvider: string; samples: unknown[] };
    expect(out.executionProvider).toBe(probe.cuda.loads ? "cuda" : "cpu");
    expect(out.cuPerHour).toBeGreaterThan(0);
    expect(out.samples).toHaveLength(3);
    if (!probe.cuda.loads) expect(res.stderr).toContain("warning: CUDA was asked for but is not available");
  });
});

describe("the decision for outcomes this machine cannot produce (probe results as data)", () => {
  const l4 = { found: true, gpus: [{ name: "NVIDIA L4", memoryMiB: 23034, driver: "550.54.15" }] };

  it("a GPU with the CUDA provider running: CUDA for auto and cuda, CPU when asked", () => {
    const probe: GpuProbe = { nvidiaSmi: l4, cuda: { installed: true, loads: true } };
    expect(chooseExecutionProvider({ requested: "auto", probe, packageUrl: PACKAGE_URL })).toMatchObject({
      provider: "cuda",
      fellBack: false,
      message: "execution provider: CUDA on NVIDIA L4 (23034 MiB)",
    });
    expect(chooseExecutionProvider({ requested: "cuda", probe, packageUrl: PACKAGE_URL }).provider).toBe("cuda");
    expect(chooseExecutionProvider({ requested: "cpu", probe: null, packageUrl: PACKAGE_URL }).provider).toBe("cpu");
  });

  it("a GPU but no CUDA provider installed (the default npm install): CPU, and the reinstall command", () => {
    const probe: GpuProbe = { nvidiaSmi: l4, cuda: { installed: false, loads: false, reason: "Failed to load shared library" } };
    const auto = chooseExecutionProvider({ requested: "auto", probe, packageUrl: PACKAGE_URL });
    expect(auto).toMatchObject({ provider: "cpu", fellBack: true });
    expect(auto.message).toContain("found NVIDIA L4 (23034 MiB) but cannot use it");
    expect(auto.message).toContain(`ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install -g --allow-scripts=onnxruntime-node ${PACKAGE_URL}`);
  });

  it("a GPU, the provider installed, but cuDNN missing: CPU, naming the missing library", () => {
    const probe: GpuProbe = {
      nvidiaSmi: l4,
      cuda: {
        installed: true,
        loads: false,
        reason: "Failed to load shared library: libcudnn.so.9: cannot open shared object file: No such file or directory",
      },
    };
    const c = chooseExecutionProvider({ requested: "cuda", probe, packageUrl: PACKAGE_URL });
    expect(c).toMatchObject({ provider: "cpu", fellBack: true });
    expect(c.message).toContain("libcudnn.so.9");
    expect(c.message).toContain("cuDNN 9");
  });
});
