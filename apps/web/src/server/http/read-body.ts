import { AppError } from "../errors.ts";

/**
 * Reads a request body up to `maxBytes`, refusing larger ones before buffering them:
 * the declared Content-Length is checked first, then the stream is counted (a chunked
 * body has no length to trust).
 */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new AppError("PAYLOAD_TOO_LARGE", `request body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch {
      // The client hung up mid-body (or its stream broke): its request, not our error, so a
      // 400 logged as a refusal, never an "unhandled error" anyone could flood the log with.
      throw new AppError("BAD_REQUEST", "the request body ended early: the client closed the connection");
    }
    const { done, value } = next;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new AppError("PAYLOAD_TOO_LARGE", `request body exceeds the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export function parseJsonBody(body: Uint8Array): unknown {
  if (body.byteLength === 0) return {};
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new AppError("BAD_REQUEST", "request body is not valid JSON");
  }
}
