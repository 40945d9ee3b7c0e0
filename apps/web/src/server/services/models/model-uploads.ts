/**
 * Resumable uploads of model files (issue 17) with the tus protocol (`@tus/server`, files on
 * local disk under MODEL_UPLOAD_DIR): create with POST, send the bytes in as many PATCHes
 * as the connection allows, ask HEAD where it stopped, and resume there. A finished upload is
 * registered with `POST /api/v1/models` (register-model.ts), which validates it and moves it
 * into the content store.
 *
 * Tenancy: each upload is tagged with the organisation that created it (in its metadata, set
 * by the server, whatever the client sent), and an upload of another organisation answers
 * HEAD, PATCH and DELETE with the same 404 as a missing one.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FileStore } from "@tus/file-store";
import { Server, type Upload } from "@tus/server";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { AppError } from "../../errors.ts";
import { ONNX_LIMITS } from "@proofgrid/models/custom/validate-onnx";
import { modelUploadDir } from "./model-store.ts";
import { PgUploadLocker } from "./upload-locker.ts";

export const UPLOADS_PATH = "/api/v1/models/uploads";
/** tus's own ids (`Uid.rand`: 16 random bytes in hex); anything else never reaches the disk. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** An unfinished upload older than this is gone (410 to a PATCH; removed by the next sweep). */
const UPLOAD_EXPIRES_MS = 24 * 3_600_000;
const SWEEP_EVERY_MS = 3_600_000;

/** The organisation of each request handed to the tus server, for its hooks. */
const requestOrg = new WeakMap<Request, string>();

/** The largest upload accepted: the configured size, and never more than the validator takes. */
export function maxUploadBytes(): number {
  return Math.min(getEnv().MODEL_UPLOAD_MAX_BYTES, ONNX_LIMITS.maxBytes);
}

const notFound = { status_code: 404, body: "The file for this url was not found\n" };

let cached: { key: string; server: Server; store: FileStore; locker: PgUploadLocker; sweptAt: number } | undefined;

function uploads(): NonNullable<typeof cached> {
  const dir = modelUploadDir();
  const maxSize = maxUploadBytes();
  const { DATABASE_URL, PROOFGRID_SERVICE } = getEnv();
  const key = `${dir}|${maxSize}|${DATABASE_URL}`;
  if (cached?.key === key) return cached;
  void cached?.locker.close();
  // A PATCH and the HEAD of a resuming client may reach different web processes
  // (WEB_PROCESSES > 1): the lock of an upload is Postgres's (upload-locker.ts), not this
  // process's memory. The files themselves are on this machine's disk (MODEL_UPLOAD_DIR):
  // web processes on several machines need that directory shared, or uploads kept on one.
  const locker = new PgUploadLocker({ url: DATABASE_URL, applicationName: `proofgrid-${PROOFGRID_SERVICE}-upload-locks` });
  // FileStore creates its directory with an fs.mkdir it does not wait for: the first POST's
  // count of open uploads could list the directory before it exists (ENOENT, a 500 seen in CI).
  mkdirSync(dir, { recursive: true });
  const store = new FileStore({ directory: dir, expirationPeriodInMilliseconds: UPLOAD_EXPIRES_MS });
  const server = new Server({
    path: UPLOADS_PATH,
    datastore: store,
    locker,
    maxSize,
    relativeLocation: true,
    getFileIdFromRequest: (_req, lastPath) => (lastPath && UPLOAD_ID.test(lastPath) ? lastPath : undefined),
    onUploadCreate: async (req, upload) => {
      const orgId = requestOrg.get(req);
      if (!orgId) throw notFound;
      // A bound on the disk one organisation can hold: each upload may grow to maxSize.
      const limit = getEnv().MODEL_UPLOADS_OPEN_PER_ORG;
      if ((await countOrgUploads(store, orgId, limit)) >= limit) {
        throw {
          status_code: 429,
          body: `your organisation already has ${limit} uploads open: finish and register them, DELETE the ones you abandon, or wait for them to expire (24 h)`,
        };
      }
      // The server's metadata, not the client's: the organisation, and a short file name.
      const filename = (upload.metadata?.filename ?? "").replace(/[^\w .-]/g, "").slice(0, 100);
      return { metadata: { orgId, ...(filename ? { filename } : {}) } };
    },
    onIncomingRequest: async (req, id) => {
      const orgId = requestOrg.get(req);
      if (!orgId) throw notFound;
      if (req.method === "POST") return;
      const upload = await store.getUpload(id);
      if (upload.metadata?.orgId !== orgId) throw notFound;
    },
  });
  cached = { key, server, store, locker, sweptAt: 0 };
  return cached;
}

/** The organisation's uploads on disk (open, or finished and not yet registered), counted up to `stopAt`. */
async function countOrgUploads(store: FileStore, orgId: string, stopAt: number): Promise<number> {
  const ids = (await store.configstore.list?.()) ?? [];
  let n = 0;
  for (const id of ids) {
    const upload = await store.configstore.get(id).catch(() => undefined);
    if (upload?.metadata?.orgId !== orgId) continue;
    // Past its expiry an unfinished upload is refused and awaits the sweep: it holds nothing.
    const created = upload.creation_date ? Date.parse(upload.creation_date) : Number.NaN;
    if (upload.size !== upload.offset && Date.now() - created > UPLOAD_EXPIRES_MS) continue;
    if (++n >= stopAt) break;
  }
  return n;
}

/** tus's statuses in the API's error shape (`{ error: { code, message, requestId } }`), keeping the status and tus's headers. */
const CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  410: "NOT_FOUND",
  412: "BAD_REQUEST",
  413: "PAYLOAD_TOO_LARGE",
  415: "BAD_REQUEST",
  429: "RATE_LIMITED",
  460: "BAD_REQUEST",
};

async function asApiResponse(res: Response, requestId: string): Promise<Response> {
  if (res.status < 400) return res;
  const text = (await res.text()).trim().slice(0, 300);
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  headers.set("content-type", "application/json");
  const code = CODES[res.status] ?? (res.status >= 500 ? "INTERNAL" : "BAD_REQUEST");
  const message =
    res.status === 413
      ? `the model file is larger than ${maxUploadBytes()} bytes, the most an upload may be`
      : `upload refused: ${text || res.statusText}`;
  return new Response(JSON.stringify({ error: { code, message, requestId } }), { status: res.status, headers });
}

/**
 * Hands one tus request (POST, HEAD, PATCH, DELETE, OPTIONS) of `orgId` to the tus server.
 * A created upload is answered with tus's 201 and `Location`, and a JSON body naming its id
 * (what `POST /api/v1/models` takes); failures in the API's error shape with tus's status.
 */
export async function handleModelUpload(req: Request, opts: { orgId: string; requestId: string }): Promise<Response> {
  const u = uploads();
  if (req.method !== "POST" && req.method !== "OPTIONS") {
    const id = new URL(req.url).pathname.split("/").at(-1) ?? "";
    if (!UPLOAD_ID.test(id)) throw new AppError("NOT_FOUND", "no such upload");
  }
  if (req.method === "POST" && Date.now() - u.sweptAt > SWEEP_EVERY_MS) {
    u.sweptAt = Date.now();
    void u.server.cleanUpExpiredUploads().catch((err: unknown) => logger.warn({ err }, "model uploads: sweep of expired uploads failed"));
  }
  requestOrg.set(req, opts.orgId);
  const res = await u.server.handleWeb(req);
  if (req.method === "POST" && res.status === 201) {
    const location = res.headers.get("location") ?? "";
    const id = location.split("/").at(-1) ?? "";
    const headers = new Headers(res.headers);
    headers.set("content-type", "application/json");
    headers.delete("content-length");
    return new Response(JSON.stringify({ id, location, maxBytes: maxUploadBytes() }), { status: 201, headers });
  }
  return asApiResponse(res, opts.requestId);
}

export interface FinishedUpload {
  id: string;
  path: string;
  size: number;
  filename: string | null;
}

/** The organisation's finished upload `id`: a 404 if it is missing or another's, a 409 while bytes are still to come. */
export async function getFinishedUpload(opts: { orgId: string; id: string }): Promise<FinishedUpload> {
  if (!UPLOAD_ID.test(opts.id)) throw new AppError("NOT_FOUND", `no upload ${opts.id.slice(0, 40)}`);
  const { store } = uploads();
  let upload: Upload;
  try {
    upload = await store.getUpload(opts.id);
  } catch {
    throw new AppError("NOT_FOUND", `no upload ${opts.id}`);
  }
  if (upload.metadata?.orgId !== opts.orgId) throw new AppError("NOT_FOUND", `no upload ${opts.id}`);
  if (upload.size === undefined || upload.offset !== upload.size) {
    throw new AppError(
      "CONFLICT",
      `upload ${opts.id} is not finished: ${upload.offset} of ${upload.size ?? "?"} bytes received; PATCH the rest from Upload-Offset ${upload.offset}`,
    );
  }
  return { id: opts.id, path: join(store.directory, opts.id), size: upload.size, filename: upload.metadata?.filename ?? null };
}

/** Removes an upload (its bytes and its metadata) once it is registered or refused. */
export async function removeUpload(id: string): Promise<void> {
  if (!UPLOAD_ID.test(id)) return;
  const { store } = uploads();
  try {
    await store.remove(id);
  } catch {
    // Already gone (a concurrent registration of the same upload): make sure of the file.
    rmSync(join(store.directory, id), { force: true });
  }
}
