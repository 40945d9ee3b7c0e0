/**
 * Where a built-in model's files are on this machine, and its id: the sha256 of its ONNX
 * file, or for a pipeline of several files (OCR's detector + recogniser) the sha256 of
 * the concatenated lowercase hex digests of its files, in pipeline order. Same files,
 * same id, on every machine.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_MODELS, type CatalogEntry, getCatalogEntry, type ModelSlug } from "./catalog.ts";
import { ensureEncoderFile, modelCacheDir } from "./encoder/build-encoder.ts";
import { packageDir } from "./package-dir.ts";

export { packageDir };

/** Resolves a catalog file specifier (`package/path` or `cache:NAME`) to an absolute path. */
export async function resolveModelFile(spec: string): Promise<string> {
  if (spec.startsWith("cache:")) {
    const name = spec.slice("cache:".length);
    // The only generated file today is the synthetic encoder; building it is idempotent.
    const encoder = await ensureEncoderFile();
    const path = join(modelCacheDir(), name);
    if (path !== encoder.path) throw new Error(`no generator for cached model file ${name}`);
    hashes.set(path, { sha256: encoder.sha256, size: statSync(path).size });
    return path;
  }
  const parts = spec.split("/");
  const pkgName = spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
  const path = join(packageDir(pkgName), ...parts.slice(spec.startsWith("@") ? 2 : 1));
  if (!existsSync(path)) throw new Error(`model file ${spec} is missing from its package (${path})`);
  return path;
}

export interface ModelFiles {
  /** ONNX files in pipeline order. */
  onnx: string[];
  /** Other files by role (the OCR dictionary, the encoder vocabulary). */
  assets: Record<string, string>;
}

export async function modelFiles(slug: ModelSlug): Promise<ModelFiles> {
  const entry = getCatalogEntry(slug);
  const onnx: string[] = [];
  for (const f of entry.files) onnx.push(await resolveModelFile(f));
  const assets: Record<string, string> = {};
  for (const [role, f] of Object.entries(entry.assets)) assets[role] = await resolveModelFile(f);
  return { onnx, assets };
}

/** In-memory, by path; a file whose size changed (a reinstalled package) is hashed again. */
const hashes = new Map<string, { sha256: string; size: number }>();

/** Streams the file (the encoder is 90 MB): ~60 ms for it on the reference machine. */
export async function sha256File(path: string): Promise<string> {
  const size = statSync(path).size;
  const cached = hashes.get(path);
  if (cached && cached.size === size) return cached.sha256;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  hashes.set(path, { sha256, size });
  return sha256;
}

/** Combines per-file digests into a model id (exported for tests and for other runtimes). */
export function combineFileHashes(hexDigests: readonly string[]): string {
  if (hexDigests.length === 0) throw new Error("a model has at least one file");
  return hexDigests.length === 1 ? (hexDigests[0] as string) : createHash("sha256").update(hexDigests.join("")).digest("hex");
}

export async function modelId(slug: ModelSlug): Promise<string> {
  const { onnx } = await modelFiles(slug);
  const digests: string[] = [];
  for (const f of onnx) digests.push(await sha256File(f));
  return combineFileHashes(digests);
}

export interface BuiltinModel extends CatalogEntry {
  id: string;
}

/** The catalog with ids: what a worker advertises and what the web app stores. */
export async function listBuiltinModels(): Promise<BuiltinModel[]> {
  const out: BuiltinModel[] = [];
  for (const m of BUILTIN_MODELS) out.push({ ...m, id: await modelId(m.slug) });
  return out;
}
