/**
 * The commands a provider runs on its machine, built once for the registration-token API
 * and the portal's "Add a worker" panel (a client component: this module is pure, it
 * imports nothing server-side). They install the packed worker the platform serves
 * (scripts/pack-worker.ts, GET /downloads/proofgrid-worker.tgz), so they need only Node and npm.
 */

/** The worker's engines field (and the project's): what the panel and the API say. */
export const WORKER_NODE_VERSION = "20.19";
export const WORKER_PACKAGE_PATH = "/downloads/proofgrid-worker.tgz";
/** Stands for the region when the caller did not give one; the answer lists the valid ids. */
export const REGION_PLACEHOLDER = "<region>";

export interface WorkerCommands {
  /**
   * `--ignore-scripts`: onnxruntime-node's install script would otherwise run (npm 11 runs
   * scripts it has no policy for, with a notice) and, on Linux x64, download its CUDA
   * provider from NuGet, hundreds of MB a CPU machine does not need (and a failed download
   * aborts the install; under npx, silently). The CPU runtime and sharp's prebuilt libvips
   * ship inside the packages.
   */
  install: string;
  /** The same for an NVIDIA GPU (Linux x64, CUDA 12, cuDNN 9): the script fetches the CUDA provider. */
  gpuInstall: string;
  register: string;
  start: string;
}

export function workerPackageUrl(platformUrl: string): string {
  return `${platformUrl.replace(/\/$/, "")}${WORKER_PACKAGE_PATH}`;
}

export function workerCommands(opts: {
  platformUrl: string;
  token: string;
  region: string | null;
  role?: "worker" | "checker";
}): WorkerCommands {
  const url = opts.platformUrl.replace(/\/$/, "");
  const pkg = workerPackageUrl(url);
  return {
    install: `npm install -g --ignore-scripts ${pkg}`,
    gpuInstall: `ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install -g --allow-scripts=onnxruntime-node ${pkg}`,
    register: `proofgrid-worker register --url ${url} --token ${opts.token} --region ${opts.region ?? REGION_PLACEHOLDER}`,
    start: opts.role === "checker" ? "proofgrid-worker start --role checker" : "proofgrid-worker start",
  };
}
