/**
 * The cache's FetchRange over the signed download (GET /api/node/models/<sha256>), always as a
 * Range request, `bytes=<from>-`, from 0 too.
 *
 * Why not NodeClient.downloadModel: it asks for the whole file without a Range and reads its
 * size from Content-Length, and Next.js drops Content-Length from a route handler's response
 * (next/dist/server/send-response.js, FORBIDDEN_HEADERS), so through the production server
 * every first download failed with "no file size" (tests/e2e/custom-models.test.ts found it).
 * A 206 carries the size in Content-Range, which Next forwards. The proper fix is in
 * NodeClient (send the Range from 0), which is being reworked with the node transport; once
 * it does, this file can go.
 */
import { signRequest } from "@proofgrid/por";
import type { NodeIdentity } from "../identity/node-identity.ts";
import { PlatformError, PlatformReplyError } from "../protocol/node-client.ts";
import type { FetchRange, RangeBody } from "./model-cache.ts";

const MODEL_ID = /^[0-9a-f]{64}$/;
const CONTENT_RANGE = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/;

export function signedModelFetcher(identity: Pick<NodeIdentity, "nodeId" | "privateKey" | "url">, stallTimeoutMs: number): FetchRange {
  return async (modelId, fromByte, signal): Promise<RangeBody | null> => {
    if (!MODEL_ID.test(modelId)) throw new Error(`not a model id (sha256 hex): ${modelId.slice(0, 80)}`);
    if (!Number.isSafeInteger(fromByte) || fromByte < 0) throw new RangeError(`bad offset ${fromByte}`);
    const path = `/api/node/models/${modelId}`;
    const headers = {
      ...signRequest({ nodeId: identity.nodeId, privateKey: identity.privateKey, method: "GET", path }),
      // Bytes as stored: a compressed body would have no offsets to resume from.
      "accept-encoding": "identity",
      range: `bytes=${fromByte}-`,
    };
    // A timeout between chunks, not for the whole file: a large model takes minutes, a stall does not.
    const stall = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(new Error(`${path}: no bytes for ${stallTimeoutMs} ms`)), stallTimeoutMs);
    };
    rearm();
    try {
      const res = await fetch(new URL(path, identity.url), {
        method: "GET",
        headers,
        signal: signal ? AbortSignal.any([signal, stall.signal]) : stall.signal,
      });
      if (res.status === 416) {
        await res.body?.cancel();
        clearTimeout(timer);
        return null;
      }
      if (!res.ok || !res.body) {
        const text = (await res.text()).slice(0, 2_000);
        let message = text.slice(0, 500);
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not JSON: keep the text
        }
        throw new PlatformError(res.status, "HTTP_ERROR", `${path}: ${res.status} ${message}`);
      }
      const m = CONTENT_RANGE.exec(res.headers.get("content-range") ?? "");
      // A server that ignores the Range sends the whole file (200): from 0, sized by Content-Length if it has one.
      const start = m ? Number(m[1]) : 0;
      const size = m ? Number(m[3]) : Number(res.headers.get("content-length") ?? "NaN");
      if (!Number.isSafeInteger(size) || size < 0) {
        await res.body.cancel();
        throw new PlatformReplyError(path, res.status, "no file size (Content-Range or Content-Length)");
      }
      const stream = res.body;
      async function* body(): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of stream) {
            rearm();
            yield chunk;
          }
        } finally {
          clearTimeout(timer);
        }
      }
      return { start, size, body: body() };
    } catch (err) {
      clearTimeout(timer);
      throw err;
    }
  };
}
