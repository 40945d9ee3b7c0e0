/**
 * Uploaded models in an S3-compatible store (issue 17, MODEL_STORE_URL): the same content
 * addressing as the local store, key `<prefix>/<id[0..2]>/<id>.onnx`, through the official SDK.
 *
 * Atomicity: one PutObject of the whole model. S3 makes an object visible only once all its
 * bytes have arrived, so a crash or a cut connection mid-put leaves no object (a multipart
 * upload would leave parts but no object either; it is not needed: a model is bounded by
 * MODEL_UPLOAD_MAX_BYTES, at most 2 GiB, and one PutObject takes up to 5 GiB). Two puts of one
 * id at once write the same bytes, so whichever lands last changes nothing a reader sees.
 * Integrity: the put sends Content-MD5, which every S3-compatible store checks, so bytes
 * damaged on the way are refused rather than stored under an id they do not hash to.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import {
  assertBytesAreModel,
  assertModelId,
  ModelHashMismatchError,
  type ModelByteRange,
  type ModelStore,
  resolveModelRange,
} from "./model-store.ts";
import { describeS3Location, type S3ModelStoreConfig } from "./model-store-url.ts";

export interface S3ModelStoreOptions extends S3ModelStoreConfig {
  /** Where localFile() keeps verified copies for the platform's own re-execution. */
  cacheDir: string;
  /**
   * Bound on a connection attempt and on a request's silence (no byte either way); default 30 s.
   * Not on a request's total time: a 2 GiB put takes longer. A download whose client stops
   * reading for that long is cut, and the node resumes it with a Range.
   */
  idleTimeoutMs?: number;
}

const statusOf = (err: unknown): number | undefined => (err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined);

export class S3ModelStore implements ModelStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly cacheDir: string;

  constructor(opts: S3ModelStoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ? `${opts.prefix}/` : "";
    this.cacheDir = opts.cacheDir;
    this.location = describeS3Location(opts);
    const timeout = opts.idleTimeoutMs ?? 30_000;
    this.client = new S3Client({
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      forcePathStyle: opts.forcePathStyle,
      // Checksums only where the API requires them: the SDK's default CRC32 headers (and
      // aws-chunked bodies) are refused by several S3-compatible stores; puts send Content-MD5.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: { connectionTimeout: timeout, socketTimeout: timeout },
      maxAttempts: 3,
    });
  }

  private keyOf(id: string): string {
    // The id is checked before it names a key: nothing else reaches the bucket.
    assertModelId(id);
    return `${this.prefix}${id.slice(0, 2)}/${id}.onnx`;
  }

  async put(id: string, bytes: Uint8Array): Promise<{ id: string; created: boolean }> {
    assertBytesAreModel(id, bytes);
    if (await this.has(id)) return { id, created: false };
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(id),
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: "application/octet-stream",
        ContentMD5: createHash("md5").update(bytes).digest("base64"),
      }),
    );
    return { id, created: true };
  }

  async has(id: string): Promise<boolean> {
    return (await this.size(id)) !== null;
  }

  async size(id: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id) }));
      if (head.ContentLength === undefined) throw new Error(`the model store gave no size for ${id}`);
      return head.ContentLength;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async read(id: string, range?: ModelByteRange): Promise<Readable> {
    const key = this.keyOf(id);
    // The range's own shape (integers, first ≤ last) before any request; its fit is the store's to say.
    if (range) resolveModelRange(Number.MAX_SAFE_INTEGER, range);
    const header = range ? `bytes=${range.start}-${range.end ?? ""}` : undefined;
    let body: unknown;
    let contentRange: string | undefined;
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(header ? { Range: header } : {}) }));
      body = got.Body;
      contentRange = got.ContentRange;
    } catch (err) {
      if (statusOf(err) === 404) throw new RangeError(`no model ${id}`);
      if (statusOf(err) === 416) throw new RangeError(`range ${range?.start}-${range?.end ?? ""} is outside the model's bytes`);
      throw err;
    }
    if (!(body instanceof Readable)) throw new Error("the S3 client gave a body that is not a Node stream");
    if (range) {
      // S3 clips a last byte past the end to the end; the local store refuses it, and so does this one.
      const served = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? "");
      if (!served) {
        body.destroy();
        throw new Error(`the model store answered a ranged read of ${id} without a Content-Range (does it support Range?)`);
      }
      const size = Number(served[3]);
      if (Number(served[1]) !== range.start || (range.end !== undefined && Number(served[2]) !== range.end)) {
        body.destroy();
        throw new RangeError(`range ${range.start}-${range.end ?? ""} is outside the model's ${size} bytes`);
      }
    }
    return body;
  }

  async localFile(id: string): Promise<string | null> {
    assertModelId(id);
    const path = join(this.cacheDir, `${id}.onnx`);
    if (existsSync(path)) return path;
    let body: Readable;
    try {
      body = await this.read(id);
    } catch (err) {
      if (err instanceof RangeError) return null;
      throw err;
    }
    mkdirSync(this.cacheDir, { recursive: true });
    // Hashed on the way to a temporary file, renamed into place only when it is the model.
    const tmp = `${path}.${randomUUID()}.tmp`;
    const hash = createHash("sha256");
    try {
      await pipeline(
        body,
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(tmp),
      );
      const actual = hash.digest("hex");
      if (actual !== id) throw new ModelHashMismatchError(id, actual);
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
    return path;
  }

  close(): void {
    this.client.destroy();
  }
}
