/**
 * `npm run pack:worker`: the worker as providers install it, `apps/worker/pack/proofgrid-worker-<version>.tgz`.
 *
 * In the repo the worker runs its TypeScript through tsx and imports the workspace packages
 * (@proofgrid/por, @proofgrid/models) by source; none of that exists on a provider's machine.
 * The package built here has:
 *   dist/cli.mjs, dist/thread-entry.mjs  esbuild bundles of the CLI and the inference thread,
 *                                        with the workspace code and onnx-proto inside
 *   models/<npm package>/...            the model files the catalog names (PP-OCRv4, Silero
 *                                        VAD, the BERT vocabulary), found through
 *                                        PROOFGRID_MODEL_FILES_DIR (packages/models/src/package-dir.ts)
 *   bin/proofgrid-worker.mjs            the launcher: Node version check, model folders, then dist/cli.mjs
 * and depends, at the versions tested here, on the packages with native code or that are
 * better installed than bundled: onnxruntime-node, sharp, commander, cli-progress, pino, zod, ws.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILTIN_MODELS } from "@proofgrid/models/catalog";
import { build } from "esbuild";
import { WORKER_VERSION } from "../apps/worker/src/version.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER = join(ROOT, "apps/worker");
export const WORKER_PACK_DIR = join(WORKER, "pack");

/** Installed, not bundled: native code (onnxruntime-node, sharp) or plain dependencies a provider's npm resolves. */
const RUNTIME_DEPENDENCIES = ["onnxruntime-node", "sharp", "commander", "cli-progress", "pino", "zod", "ws"] as const;

export interface PackResult {
  tarball: string;
  version: string;
  bytes: number;
  unpackedBytes: number;
  files: { path: string; size: number }[];
}

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

/** The npm specifiers (`package/path`) of every file a built-in model reads. */
function modelFileSpecs(): string[] {
  const specs = new Set<string>();
  for (const m of BUILTIN_MODELS) for (const f of [...m.files, ...Object.values(m.assets)]) if (!f.startsWith("cache:")) specs.add(f);
  return [...specs].sort();
}

function packageOf(spec: string): { name: string; path: string } {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  return { name: parts.slice(0, n).join("/"), path: parts.slice(n).join("/") };
}

export async function packWorker(opts: { outDir?: string; log?: (msg: string) => void } = {}): Promise<PackResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const outDir = opts.outDir ?? WORKER_PACK_DIR;
  const manifest = JSON.parse(readFileSync(join(WORKER, "package.json"), "utf8")) as { version: string };
  if (manifest.version !== WORKER_VERSION) {
    throw new Error(`apps/worker/package.json says ${manifest.version} but src/version.ts says ${WORKER_VERSION}: make them agree`);
  }
  // The pool starts its threads from this file next to it; the bundle must keep the name.
  const poolSource = readFileSync(join(WORKER, "src/inference/inference-pool.ts"), "utf8");
  if (!poolSource.includes('new URL("./thread-entry.mjs", import.meta.url)')) {
    throw new Error("inference-pool.ts no longer starts its threads from ./thread-entry.mjs: update scripts/pack-worker.ts's thread entry");
  }

  // Staged outside the repo: npm pack must see neither the workspace root nor its node_modules.
  const stage = mkdtempSync(join(tmpdir(), "proofgrid-worker-pack-"));
  try {
    const result = await build({
      entryPoints: { cli: join(WORKER, "src/cli.ts"), "thread-entry": join(WORKER, "src/inference/inference-thread.ts") },
      outdir: join(stage, "dist"),
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: false,
      format: "esm",
      platform: "node",
      target: "node20.19",
      external: [...RUNTIME_DEPENDENCIES],
      // CommonJS inside the bundle (onnx-proto, protobufjs) calls require() for Node built-ins.
      banner: {
        js: 'import { createRequire as __pgCreateRequire } from "node:module"; const require = __pgCreateRequire(import.meta.url);',
      },
      legalComments: "linked",
      metafile: true,
      logLevel: "warning",
    });
    // Anything the bundles import must be a Node built-in or a declared dependency.
    const imported = new Set<string>();
    for (const out of Object.values(result.metafile.outputs)) for (const i of out.imports) if (i.external) imported.add(i.path);
    const undeclared = [...imported].filter(
      (p) => !p.startsWith("node:") && !RUNTIME_DEPENDENCIES.some((d) => p === d || p.startsWith(`${d}/`)),
    );
    if (undeclared.length) throw new Error(`the worker bundle imports undeclared packages: ${undeclared.join(", ")}`);

    const notices: string[] = [];
    const copied = new Set<string>();
    for (const spec of modelFileSpecs()) {
      const { name, path } = packageOf(spec);
      const src = join(ROOT, "node_modules", name);
      const dest = join(stage, "models", name);
      mkdirSync(dirname(join(dest, path)), { recursive: true });
      copyFileSync(join(src, path), join(dest, path));
      if (!copied.has(name)) {
        copied.add(name);
        const pkg = JSON.parse(readFileSync(join(src, "package.json"), "utf8")) as {
          name: string;
          version: string;
          license?: string;
          homepage?: string;
        };
        // packageDir() recognises a package folder by its package.json.
        writeFileSync(
          join(dest, "package.json"),
          `${JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license, private: true }, null, 2)}\n`,
        );
        for (const f of ["LICENSE", "LICENSE.md", "LICENSE.txt"]) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dest, f));
        notices.push(
          `- \`${name}@${pkg.version}\` (${pkg.license ?? "see package"}): ${pkg.homepage ?? `https://www.npmjs.com/package/${name}`}`,
        );
      }
      notices.push(`  - \`${path}\``);
    }
    const licences = BUILTIN_MODELS.filter((m) => !m.synthetic).map((m) => `- ${m.name}: ${m.licence}`);
    writeFileSync(
      join(stage, "models", "NOTICE.md"),
      `# Model files shipped with proofgrid-worker\n\nCopied unchanged from these npm packages (a model's id is the sha256 of its files, so a changed byte is a different model):\n\n${notices.join("\n")}\n\nWeights and licences:\n\n${licences.join("\n")}\n`,
    );

    mkdirSync(join(stage, "bin"));
    writeFileSync(join(stage, "bin", "proofgrid-worker.mjs"), LAUNCHER, { mode: 0o755 });
    writeFileSync(join(stage, "README.md"), PACKAGE_README);
    const dependencies = Object.fromEntries(RUNTIME_DEPENDENCIES.map((d) => [d, installedVersion(d)]));
    const pkg = {
      name: "proofgrid-worker",
      version: WORKER_VERSION,
      description: "Proofgrid node daemon: run verified inference jobs for the Proofgrid marketplace (worker) or check them (checker)",
      type: "module",
      bin: { "proofgrid-worker": "bin/proofgrid-worker.mjs" },
      files: ["bin", "dist", "models", "README.md"],
      engines: { node: ">=20.19" },
      os: ["linux", "darwin", "win32"],
      license: "UNLICENSED",
      dependencies,
    };
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);

    mkdirSync(outDir, { recursive: true });
    const packed = join(stage, "packed");
    mkdirSync(packed);
    const res = spawnSync("npm", ["pack", "--json", "--pack-destination", packed], { cwd: stage, encoding: "utf8" });
    if (res.status !== 0) throw new Error(`npm pack failed (${res.status}): ${res.stderr}`);
    const [info] = JSON.parse(res.stdout) as {
      filename: string;
      size: number;
      unpackedSize: number;
      integrity: string;
      files: { path: string; size: number }[];
    }[];
    if (!info) throw new Error("npm pack printed nothing");
    const tarball = join(outDir, info.filename);
    // Copied in under a temporary name and renamed: a download in progress keeps its file.
    copyFileSync(join(packed, info.filename), `${tarball}.tmp`);
    renameSync(`${tarball}.tmp`, tarball);
    // What the web app's /downloads route serves as proofgrid-worker.tgz (services/downloads).
    const latest = { version: WORKER_VERSION, file: info.filename, bytes: statSync(tarball).size, integrity: info.integrity };
    writeFileSync(join(outDir, "latest.json.tmp"), `${JSON.stringify(latest, null, 2)}\n`);
    renameSync(join(outDir, "latest.json.tmp"), join(outDir, "latest.json"));
    log(
      `packed ${relative(ROOT, tarball)}: ${(info.size / 1e6).toFixed(1)} MB (${(info.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${info.files.length} files)`,
    );
    return {
      tarball,
      version: WORKER_VERSION,
      bytes: statSync(tarball).size,
      unpackedBytes: info.unpackedSize,
      files: info.files.map((f) => ({ path: f.path, size: f.size })),
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

const LAUNCHER = `#!/usr/bin/env node
// proofgrid-worker, packed by scripts/pack-worker.ts: checks Node, points the model code at
// the files shipped in ../models, then runs the bundled CLI.
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(\`proofgrid-worker needs Node.js 20.19 or newer; this is \${process.version}\`);
  process.exit(1);
}
process.env.PROOFGRID_MODEL_FILES_DIR = fileURLToPath(new URL("../models", import.meta.url));
// The synthetic encoder (90 MB) is generated on first use, identical on every machine.
process.env.PROOFGRID_MODEL_CACHE ||= join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "proofgrid-worker");
await import("../dist/cli.mjs");
`;

const PACKAGE_README = `# proofgrid-worker

The Proofgrid node daemon: it registers this machine with a Proofgrid platform, measures its
capability, and runs inference jobs (or, as a licensed checker, re-runs them), signing a
receipt for each result.

Needs Node.js 20.19 or newer and npm. Get a one-time token from the platform's provider
portal ("Add a worker"), then:

    npm install -g <platform>/downloads/proofgrid-worker.tgz
    proofgrid-worker register --url <platform> --token pgr_... --region <region id>
    proofgrid-worker start

NVIDIA GPU (Linux x64, CUDA 12 + cuDNN 9): install with onnxruntime-node's CUDA provider,
which its install script downloads when allowed to run:

    ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install -g --allow-scripts=onnxruntime-node <platform>/downloads/proofgrid-worker.tgz

\`register\` and \`start\` then use CUDA (\`--execution-provider auto\`, the default), or say why
not and run on CPU. \`proofgrid-worker --help\` lists every command and option.
`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await packWorker();
  console.log(
    JSON.stringify({
      tarball: relative(ROOT, r.tarball),
      version: r.version,
      bytes: r.bytes,
      unpackedBytes: r.unpackedBytes,
      files: r.files.length,
    }),
  );
}
