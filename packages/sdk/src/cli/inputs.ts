// What the CLI sends for a file: a .txt is the encoder's text, an image (.png, .jpg, .webp)
// the OCR model's base64 image, a .wav the VAD model's base64 audio, and a .json the input
// as written. A batch reads a folder of such files, or a .jsonl with one input per line.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { CliUsageError } from "./config.ts";

/** Above the largest input any model takes (10 minutes of float32 audio, ≈ 38 MB). */
export const MAX_INPUT_FILE_BYTES = 48 * 1024 * 1024;
/** A batch's inputs at most: the state and results of one run stay small enough to reread. */
export const MAX_BATCH_INPUTS = 100_000;
/** A .jsonl source at most (its lines are held in memory). */
export const MAX_JSONL_BYTES = 512 * 1024 * 1024;
/** An input's name in results and state: the file name, or a .jsonl line's `name`/`id`. */
const MAX_NAME_CHARS = 500;

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp"]);
export const INPUT_EXTENSIONS = new Set([".txt", ".wav", ".json", ...IMAGE_EXTENSIONS]);

function readLimited(file: string, maxBytes: number): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new CliUsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (size > maxBytes) throw new CliUsageError(`${file} is ${size} bytes; at most ${maxBytes}`);
  return readFileSync(file);
}

/** The model input a file stands for, by its extension. */
export function inputFromFile(file: string): unknown {
  const ext = extname(file).toLowerCase();
  if (!INPUT_EXTENSIONS.has(ext))
    throw new CliUsageError(`${file}: unknown kind of input (.txt for text, .png/.jpg/.webp for OCR, .wav for VAD, .json for a raw input)`);
  const bytes = readLimited(file, MAX_INPUT_FILE_BYTES);
  if (ext === ".txt") {
    const text = bytes.toString("utf8").replace(/\s+$/, "");
    if (text.length === 0) throw new CliUsageError(`${file} is empty`);
    return { text };
  }
  if (IMAGE_EXTENSIONS.has(ext)) return { image: bytes.toString("base64") };
  if (ext === ".wav") return { audio: bytes.toString("base64") };
  return parseJson(bytes.toString("utf8"), file);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliUsageError(`${what} is not JSON: ${(err as Error).message}`);
  }
}

/** One input of a batch: its name (unique in the batch) and how to read it. */
export interface BatchItem {
  name: string;
  load(): unknown;
}

/**
 * A batch's inputs: the supported files of a folder (not recursive, hidden files skipped,
 * sorted by name), or a .jsonl whose lines are `{"name"?: …, "input": …}` or the bare input
 * (named `line-<n>`).
 */
export function listBatch(source: string): BatchItem[] {
  let isDir: boolean;
  try {
    isDir = statSync(source).isDirectory();
  } catch (err) {
    throw new CliUsageError(`cannot read ${source}: ${(err as Error).message}`);
  }
  const items = isDir ? listFolder(source) : listJsonl(source);
  if (items.length === 0) throw new CliUsageError(`${source} holds no input`);
  if (items.length > MAX_BATCH_INPUTS)
    throw new CliUsageError(`${source} holds ${items.length} inputs; at most ${MAX_BATCH_INPUTS} a batch`);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.name)) throw new CliUsageError(`two inputs are named ${JSON.stringify(item.name)}: names must be unique`);
    seen.add(item.name);
  }
  return items;
}

function listFolder(dir: string): BatchItem[] {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith(".") && INPUT_EXTENSIONS.has(extname(d.name).toLowerCase()))
    .map((d) => d.name)
    .sort();
  if (names.length > MAX_BATCH_INPUTS) throw new CliUsageError(`${dir} holds more than ${MAX_BATCH_INPUTS} inputs`);
  return names.map((name) => ({ name, load: () => inputFromFile(join(dir, name)) }));
}

function listJsonl(file: string): BatchItem[] {
  if (extname(file).toLowerCase() !== ".jsonl") throw new CliUsageError(`${file}: a batch is a folder or a .jsonl file`);
  const lines = readLimited(file, MAX_JSONL_BYTES).toString("utf8").split("\n");
  const items: BatchItem[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const value = parseJson(line, `${basename(file)} line ${i + 1}`);
    const o = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    const wrapped = o !== undefined && "input" in o;
    const given = wrapped ? (o.name ?? o.id) : undefined;
    if (given !== undefined && (typeof given !== "string" || given.length === 0 || given.length > MAX_NAME_CHARS))
      throw new CliUsageError(`${basename(file)} line ${i + 1}: name must be a string of 1–${MAX_NAME_CHARS} characters`);
    const input = wrapped ? o.input : value;
    items.push({ name: given ?? `line-${i + 1}`, load: () => input });
  });
  return items;
}
