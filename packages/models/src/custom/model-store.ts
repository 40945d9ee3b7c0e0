/**
 * Uploaded models stored by content (issue 17): a model's id is the sha256 of its bytes, so
 * identical uploads share one object and a name can never point at other bytes (two uploads
 * under one name with different bytes are two ids). `ModelStore` is what the platform uses;
 * two stores implement it: `LocalModelStore` below (local disk, what `npm start` uses) and
 * `S3ModelStore` (s3-model-store.ts, any S3-compatible store, selected by MODEL_STORE_URL).
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";

const SHA256 = /^[0-9a-f]{64}$/;

/** A byte range, first and last byte inclusive (an HTTP Range); no `end` means to the last byte. */
export interface ModelByteRange {
  start: number;
  end?: number;
}

/** The content-addressed store of uploaded models, whatever keeps the bytes. */
export interface ModelStore {
  /** Where the models are, for logs: a directory or an `s3://bucket/prefix` (never a credential). */
  readonly location: string;
  /**
   * Stores the bytes under `id`, which must be their sha256 (else a ModelHashMismatchError and
   * nothing is stored). Idempotent: bytes already stored are left as they are (`created: false`).
   * A reader never sees part of a model under its id, even if the process dies mid-write.
   */
  put(id: string, bytes: Uint8Array): Promise<{ id: string; created: boolean }>;
  has(id: string): Promise<boolean>;
  /** Size in bytes, or null when the store has no such model. */
  size(id: string): Promise<number | null>;
  /**
   * The model's bytes from `range.start` to `range.end` inclusive (all of them without a range),
   * for resumable downloads. A RangeError for a model the store does not have or a range
   * outside its bytes.
   */
  read(id: string, range?: ModelByteRange): Promise<Readable>;
  /**
   * A file on this machine holding the model's verified bytes (the platform's own re-execution
   * loads models from files), or null when the store has no such model.
   */
  localFile(id: string): Promise<string | null>;
  /** Releases what the store holds open (connections); the store is not used after. */
  close(): void;
}

/** Bytes whose sha256 is not the id they were stored under. */
export class ModelHashMismatchError extends Error {
  constructor(
    readonly id: string,
    readonly actual: string,
  ) {
    super(`the bytes' sha256 is ${actual}, not the model id ${id}`);
    this.name = "ModelHashMismatchError";
  }
}

/** A model's id: the sha256 of its bytes, lower-case hex. */
export function modelIdOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Refuses anything but 64 lower-case hex characters: an id checked here names no path or key but its own. */
export function assertModelId(id: string): void {
  if (!SHA256.test(id)) throw new RangeError(`not a model id (sha256 hex): ${id.slice(0, 80)}`);
}

/** The bytes' id, which must be `id`. */
export function assertBytesAreModel(id: string, bytes: Uint8Array): void {
  assertModelId(id);
  const actual = modelIdOf(bytes);
  if (actual !== id) throw new ModelHashMismatchError(id, actual);
}

/** `range` resolved against a model of `size` bytes: first and last byte, or a RangeError. */
export function resolveModelRange(size: number, range?: ModelByteRange): { start: number; end: number } {
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end >= size) {
    throw new RangeError(`range ${start}-${end} is outside the model's ${size} bytes`);
  }
  return { start, end };
}

/**
 * Local disk: `<dir>/<id[0..2]>/<id>.onnx`, written to a temporary file and renamed into place,
 * so a reader never sees half a model and a crash mid-write leaves only a temporary file.
 */
export class LocalModelStore implements ModelStore {
  constructor(readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  private pathOf(id: string): string {
    // The id is checked before it names a path: nothing else reaches the filesystem.
    assertModelId(id);
    return join(this.dir, id.slice(0, 2), `${id}.onnx`);
  }

  async put(id: string, bytes: Uint8Array): Promise<{ id: string; created: boolean }> {
    assertBytesAreModel(id, bytes);
    const path = this.pathOf(id);
    if (existsSync(path)) return { id, created: false };
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    try {
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
    return { id, created: true };
  }

  async localFile(id: string): Promise<string | null> {
    const path = this.pathOf(id);
    return existsSync(path) ? path : null;
  }

  async has(id: string): Promise<boolean> {
    return existsSync(this.pathOf(id));
  }

  async size(id: string): Promise<number | null> {
    const path = this.pathOf(id);
    return existsSync(path) ? statSync(path).size : null;
  }

  async read(id: string, range?: ModelByteRange): Promise<Readable> {
    const path = this.pathOf(id);
    const size = await this.size(id);
    if (size === null) throw new RangeError(`no model ${id}`);
    return createReadStream(path, resolveModelRange(size, range));
  }

  close(): void {}
}
