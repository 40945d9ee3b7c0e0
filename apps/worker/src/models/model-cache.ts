/**
 * The worker's disk cache of custom models (issue 17, "workers fetch and cache"). A model is
 * named by the sha256 of its bytes, so the cache needs no trust in the platform's answer:
 * a file is put where inference can find it only once its bytes hash to its name.
 *
 *   <dir>/<id>.onnx            verified models, one per id; mtime = last use
 *   <dir>/partial/<id>.part    downloads in progress, kept across restarts to resume from
 *
 * Downloads resume: a partial's length is the offset of the next Range request, and its
 * bytes are hashed again before the rest is appended (the hash state does not survive a
 * restart, and re-reading a prefix costs a local disk read, not a download). A partial
 * whose whole does not hash to its id is deleted: the next attempt starts from byte 0.
 *
 * The byte bound is kept by evicting the least recently used verified models after each
 * addition — never the one just added, never one a caller holds (`acquire`). Last use is a
 * file's mtime, written on every use, so the order survives a restart with no index file
 * to keep consistent with the directory.
 *
 * One daemon per directory: two processes sharing one would append to the same partial.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, mkdirSync, readdirSync, statSync } from "node:fs";
import { open, rename, rm, stat, truncate, utimes } from "node:fs/promises";
import { join } from "node:path";

const MODEL_ID = /^[0-9a-f]{64}$/;
const MODEL_FILE = /^([0-9a-f]{64})\.onnx$/;
/** Attempts of one `ensure` when the connection breaks; each resumes where the last stopped. */
const DEFAULT_ATTEMPTS = 3;

/** A model's bytes from `start` on, as the platform sends them (NodeClient.downloadModel). */
export interface RangeBody {
  /** The offset the body starts at: the one asked for, or 0 when the server sent the whole file. */
  start: number;
  /** The whole file's size. */
  size: number;
  body: AsyncIterable<Uint8Array>;
}

/** Fetches a model's bytes from `fromByte` on; null when `fromByte` is at or past the end (416). */
export type FetchRange = (id: string, fromByte: number, signal?: AbortSignal) => Promise<RangeBody | null>;

export interface ModelCacheOptions {
  dir: string;
  /** The bound on the verified models' bytes together (partials are not counted). */
  maxBytes: number;
  fetchRange: FetchRange;
  /** Connection attempts per `ensure`; each resumes from the partial. Default 3. */
  attempts?: number;
  /** Called with each eviction, for the daemon's log. */
  onEvict?: (id: string, size: number) => void;
}

export interface EnsureOptions {
  /** The size the platform announced, if known: checked before and during the download. */
  size?: number;
  signal?: AbortSignal;
}

/** The downloaded bytes do not hash to the model's id: they were deleted, never cached. */
export class ModelHashMismatchError extends Error {
  constructor(
    readonly id: string,
    readonly actual: string,
  ) {
    super(`model ${id}: the downloaded bytes hash to ${actual}; deleted, not cached`);
    this.name = "ModelHashMismatchError";
  }
}

interface Entry {
  size: number;
  /** Last use, ms since the epoch; unique and increasing within this cache. */
  lastUsed: number;
  /** Hashed by this process (downloaded, or re-read once after a restart). */
  verified: boolean;
}

export class ModelCache {
  readonly dir: string;
  private readonly partialDir: string;
  private readonly maxBytes: number;
  private readonly fetchRange: FetchRange;
  private readonly attempts: number;
  private readonly onEvict?: (id: string, size: number) => void;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly pins = new Map<string, number>();
  private clock = 0;

  constructor(opts: ModelCacheOptions) {
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 1) throw new RangeError(`ModelCache: bad maxBytes ${opts.maxBytes}`);
    this.dir = opts.dir;
    this.partialDir = join(opts.dir, "partial");
    this.maxBytes = opts.maxBytes;
    this.fetchRange = opts.fetchRange;
    this.attempts = Math.max(1, opts.attempts ?? DEFAULT_ATTEMPTS);
    this.onEvict = opts.onEvict;
    mkdirSync(this.partialDir, { recursive: true });
    // What a previous run left: its verified files, ordered by their last use. They are
    // hashed again on first use (a disk can rot, and anyone can write to a directory).
    for (const name of readdirSync(this.dir)) {
      const m = MODEL_FILE.exec(name);
      if (!m) continue;
      const st = statSync(join(this.dir, name));
      if (!st.isFile()) continue;
      this.entries.set(m[1] as string, { size: st.size, lastUsed: st.mtimeMs, verified: false });
      this.clock = Math.max(this.clock, st.mtimeMs);
    }
  }

  /** Whether a model file is here (verified when downloaded, or re-verified on first use after a restart). */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Ids of the cached models, most recently used first: what the heartbeat reports as warm. */
  warm(): string[] {
    return [...this.entries].sort((a, b) => b[1].lastUsed - a[1].lastUsed).map(([id]) => id);
  }

  /** Bytes the cached models take together. */
  bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.size;
    return total;
  }

  /** The path of the partial download of `id` (for tests and diagnostics). */
  partialPath(id: string): string {
    return join(this.partialDir, `${checkId(id)}.part`);
  }

  /** The path a verified model is cached at. */
  pathOf(id: string): string {
    return join(this.dir, `${checkId(id)}.onnx`);
  }

  /**
   * The path of the model's verified file: from the cache (its use recorded), or downloaded,
   * resumed from any partial, hashed and moved in. Concurrent calls for one id share one
   * download. Throws ModelHashMismatchError when the bytes are not the model's.
   */
  ensure(id: string, opts: EnsureOptions = {}): Promise<string> {
    if (!MODEL_ID.test(id)) return Promise.reject(new TypeError(`not a model id (sha256 hex): ${id.slice(0, 80)}`));
    const running = this.inflight.get(id);
    if (running) return running;
    const p = this.load(id, opts).finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }

  /**
   * `ensure`, with the model held until `release`: eviction skips it, so the file stays while
   * inference reads it. The hold starts before the download, so no eviction can slip between.
   */
  async acquire(id: string, opts: EnsureOptions = {}): Promise<{ path: string; release: () => void }> {
    checkId(id);
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.pins.get(id) ?? 1) - 1;
      if (n > 0) this.pins.set(id, n);
      else this.pins.delete(id);
    };
    try {
      return { path: await this.ensure(id, opts), release };
    } catch (err) {
      release();
      throw err;
    }
  }

  private async load(id: string, opts: EnsureOptions): Promise<string> {
    const path = this.pathOf(id);
    const entry = this.entries.get(id);
    if (entry && !entry.verified) {
      // A file from a previous run: hashed once before anything runs it.
      const actual = await hashFile(path).catch(() => null);
      if (actual === id) entry.verified = true;
      else {
        this.entries.delete(id);
        await rm(path, { force: true });
      }
    }
    // A file deleted behind our back is downloaded again, not handed out.
    if (this.entries.has(id)) {
      if (await this.touch(id)) return path;
      this.entries.delete(id);
    }
    if (opts.size !== undefined && opts.size > this.maxBytes) {
      throw new RangeError(`model ${id}: ${opts.size} bytes is over the cache's bound of ${this.maxBytes}`);
    }
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      try {
        const size = await this.download(id, opts);
        this.entries.set(id, { size, lastUsed: 0, verified: true });
        await this.touch(id);
        await this.evict(id);
        return path;
      } catch (err) {
        // Wrong bytes or a file over the bound are final; a broken connection resumes.
        if (err instanceof ModelHashMismatchError || err instanceof RangeError) throw err;
        lastErr = err;
      }
    }
    throw lastErr;
  }

  /** Downloads into the partial from where it stops, then verifies and moves it in; returns its size. */
  private async download(id: string, opts: EnsureOptions): Promise<number> {
    const partial = this.partialPath(id);
    let offset = await stat(partial).then(
      (s) => s.size,
      () => 0,
    );
    const hash = createHash("sha256");
    if (opts.size !== undefined && offset > opts.size) {
      await truncate(partial, 0);
      offset = 0;
    }
    if (offset > 0) await hashInto(hash, partial);
    const complete = opts.size !== undefined && offset === opts.size;
    const res = complete ? null : await this.fetchRange(id, offset, opts.signal);
    if (res) {
      const expected = opts.size ?? res.size;
      if (res.size !== expected || res.size > this.maxBytes) {
        drain(res.body);
        throw new RangeError(`model ${id}: the platform sends ${res.size} bytes; expected ${expected}, bound ${this.maxBytes}`);
      }
      if (res.start !== offset) {
        if (res.start !== 0) {
          drain(res.body);
          throw new Error(`model ${id}: asked for bytes from ${offset}, got them from ${res.start}`);
        }
        // The server sent the whole file (a 200 to a Range request): start the partial over.
        return this.finish(id, partial, createHash("sha256"), 0, res);
      }
      return this.finish(id, partial, hash, offset, res);
    }
    if (offset === 0) throw new Error(`model ${id}: the platform has no bytes of it`);
    return this.commit(id, partial, hash, offset);
  }

  /** Appends the body to the partial (from `offset`), hashing as it goes, then commits it. */
  private async finish(id: string, partial: string, hash: Hash, offset: number, res: RangeBody): Promise<number> {
    const fh = await open(partial, offset === 0 ? "w" : "a");
    let written = offset;
    let overflow = false;
    try {
      for await (const chunk of res.body) {
        written += chunk.byteLength;
        // More bytes than the file has: the bound on the input, checked before they land.
        if (written > res.size) {
          overflow = true;
          throw new RangeError(`model ${id}: more than the announced ${res.size} bytes`);
        }
        hash.update(chunk);
        for (let at = 0; at < chunk.byteLength; ) at += (await fh.write(chunk, at)).bytesWritten;
      }
      // The bytes are on disk before the file is named as verified.
      await fh.sync();
    } finally {
      await fh.close();
      if (overflow) await rm(partial, { force: true });
    }
    if (written !== res.size) throw new Error(`model ${id}: the download stopped at ${written} of ${res.size} bytes`);
    return this.commit(id, partial, hash, written);
  }

  /** Moves a partial whose bytes hash to `id` into the cache; deletes it otherwise. */
  private async commit(id: string, partial: string, hash: Hash, size: number): Promise<number> {
    const actual = hash.digest("hex");
    if (actual !== id) {
      await rm(partial, { force: true });
      throw new ModelHashMismatchError(id, actual);
    }
    await rename(partial, this.pathOf(id));
    return size;
  }

  /** Records a use, in memory and as the file's mtime (the order a restart reads back). */
  private async touch(id: string): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry) return false;
    // Strictly increasing, so two uses within a millisecond still keep their order.
    this.clock = Math.max(Date.now(), this.clock + 1);
    entry.lastUsed = this.clock;
    const t = new Date(this.clock);
    return utimes(this.pathOf(id), t, t).then(
      () => true,
      () => false,
    );
  }

  /** Deletes least recently used models, never `keep` and never a held one, until under the bound. */
  private async evict(keep: string): Promise<void> {
    let total = this.bytes();
    if (total <= this.maxBytes) return;
    const oldestFirst = [...this.entries].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, entry] of oldestFirst) {
      if (total <= this.maxBytes) break;
      // Held by a caller, or being loaded (re-verified) right now: not ours to delete.
      if (id === keep || this.pins.has(id) || this.inflight.has(id)) continue;
      this.entries.delete(id);
      total -= entry.size;
      await rm(this.pathOf(id), { force: true });
      this.onEvict?.(id, entry.size);
    }
  }
}

function checkId(id: string): string {
  // The id names a path: nothing but 64 hex digits reaches the filesystem.
  if (!MODEL_ID.test(id)) throw new TypeError(`not a model id (sha256 hex): ${id.slice(0, 80)}`);
  return id;
}

async function hashInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await hashInto(hash, path);
  return hash.digest("hex");
}

/** Ends a body we will not read, so its connection is let go. */
function drain(body: AsyncIterable<Uint8Array>): void {
  void body[Symbol.asyncIterator]().return?.();
}
