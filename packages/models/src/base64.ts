import { ModelInputError } from "./model-input-error.ts";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks standard base64 (an optional `data:...;base64,` prefix is allowed) without
 * decoding it, and returns the payload and the exact decoded size. Buffer.from silently
 * skips junk characters, so the alphabet is checked first; the regex is linear and
 * allocates nothing, so a 50 MB string costs a scan, not a copy.
 */
export function checkBase64(text: string, what: string): { body: string; bytes: number } {
  const body = text.startsWith("data:") ? text.slice(text.indexOf(",") + 1) : text;
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new ModelInputError(`${what} is not valid base64`);
  }
  const padding = body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
  return { body, bytes: (body.length / 4) * 3 - padding };
}

/** Decodes at most the first `maxBytes` bytes (rounded up to a base64 quantum): enough to read a header. */
export function decodeBase64Prefix(body: string, maxBytes: number): Buffer {
  return Buffer.from(body.slice(0, Math.ceil(maxBytes / 3) * 4), "base64");
}

/** Decoded size of `bytes` bytes as base64 text: 4·ceil(n/3) characters. */
export const base64Length = (bytes: number): number => 4 * Math.ceil(bytes / 3);
