// Strict base64url (RFC 4648 §5, no padding). Node's Buffer decoder is lenient: it skips
// characters outside the alphabet and accepts padding, so two different strings can decode
// to the same bytes. Keys and signatures travel in headers and JSON, so we accept exactly
// one spelling of each byte string: canonical, unpadded, alphabet only.

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * Decodes canonical unpadded base64url, or returns null. With `expectedBytes`, anything
 * that is not exactly that many bytes is refused. Never throws.
 */
export function decodeBase64url(text: unknown, expectedBytes?: number): Uint8Array | null {
  if (typeof text !== "string") return null;
  if (expectedBytes !== undefined && text.length !== Math.ceil((expectedBytes * 4) / 3)) return null;
  if (text.length % 4 === 1 || !BASE64URL_PATTERN.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  // Re-encoding catches non-zero trailing bits, the one remaining second spelling.
  if (bytes.toString("base64url") !== text) return null;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
