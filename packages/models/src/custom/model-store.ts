/**
 * Uploaded models stored by content (issue 17): a model's id is the sha256 of its bytes, so
 * identical uploads share one file and a name can never point at other bytes (two uploads
 * under one name with different bytes are two ids). This is the local-disk store `npm start`
 * uses: `<dir>/<id[0..2]>/<id>.onnx`, written to a temporary file and renamed into place, so a
 * reader never sees half a model and a crash mid-write leaves only a temporary file.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";

const SHA256 = /^[0-9a-f]{64}$/;

export class LocalModelStore {
  constructor(readonly dir: string) {}

  private pathOf(id: string): string {
    // The id is checked before it names a path: nothing else reaches the filesystem.
    if (!SHA256.test(id)) throw new RangeError(`not a model id (sha256 hex): ${id.slice(0, 80)}`);
    return join(this.dir, id.slice(0, 2), `${id}.onnx`);
  }

  /** Stores the bytes; returns their id, and whether they were new. */
  put(bytes: Uint8Array): { id: string; created: boolean } {
    const id = createHash("sha256").update(bytes).digest("hex");
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

  /** The stored file's path (the platform's own re-execution loads it), or null when the store has no such model. */
  filePath(id: string): string | null {
    const path = this.pathOf(id);
    return existsSync(path) ? path : null;
  }

  has(id: string): boolean {
    return existsSync(this.pathOf(id));
  }

  /** Size in bytes, or null when the store has no such model. */
  size(id: string): number | null {
    const path = this.pathOf(id);
    return existsSync(path) ? statSync(path).size : null;
  }

  /** The model's bytes from `start` to `end` inclusive (an HTTP Range), for resumable downloads. */
  read(id: string, range?: { start: number; end?: number }): Readable {
    const path = this.pathOf(id);
    const size = this.size(id);
    if (size === null) throw new RangeError(`no model ${id}`);
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end >= size) {
      throw new RangeError(`range ${start}-${end} is outside the model's ${size} bytes`);
    }
    return createReadStream(path, { start, end });
  }
}
