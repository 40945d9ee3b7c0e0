import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { readBodyLimited } from "./read-body.ts";

// Issue 11 finding 11: a client that hangs up mid-body is its own failure, a 400 refusal,
// not an "unhandled error" in the log.

function requestWith(stream: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  return new Request("http://localhost/api/v1/jobs", { method: "POST", body: stream, headers, duplex: "half" } as RequestInit);
}

describe("readBodyLimited", () => {
  it("reads a body within the limit", async () => {
    const body = await readBodyLimited(new Request("http://localhost/x", { method: "POST", body: "hello" }), 10);
    expect(new TextDecoder().decode(body)).toBe("hello");
  });

  it("refuses a body over the limit, declared or streamed", async () => {
    await expect(readBodyLimited(new Request("http://localhost/x", { method: "POST", body: "x".repeat(11) }), 10)).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
    });
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new Uint8Array(6));
        c.close();
      },
    });
    await expect(readBodyLimited(requestWith(chunked), 10)).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("answers a client that hangs up mid-body with a 400, not an internal error", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"model":'));
      },
      pull(c) {
        c.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
      },
    });
    const err = await readBodyLimited(requestWith(broken), 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("BAD_REQUEST");
    expect((err as AppError).message).toMatch(/client closed the connection/);
  });
});
