/** One byte range of a resource, both ends inclusive (as in Content-Range). */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a Range header asks of a resource of `size` bytes. */
export type RangeRequest =
  /** No Range header: the whole resource (200). */
  | { kind: "full" }
  /** One satisfiable range (206). */
  | { kind: "partial"; range: ByteRange }
  /** A range this server will not serve (416): past the end, malformed, or several at once. */
  | { kind: "unsatisfiable"; reason: string };

// bytes=<first>-[<last>] or bytes=-<suffix length>; 15 digits bound the numbers below 2^53.
const SINGLE_RANGE = /^bytes=(?:(\d{1,15})-(\d{1,15})?|-(\d{1,15}))$/;
// A header no honest client sends is refused before the pattern runs.
const MAX_RANGE_HEADER = 200;

/**
 * Reads a single-range `Range` header (RFC 9110 §14.2) against a resource of `size` bytes.
 * A last byte past the end is clipped to it; a first byte past the end is unsatisfiable.
 * Several ranges, or a malformed one, are refused rather than ignored: the only client of
 * the model downloads is our worker, and a 416 with a reason beats a silent full body.
 */
export function parseRange(header: string | null, size: number): RangeRequest {
  if (header === null) return { kind: "full" };
  const value = header.trim();
  if (value.length > MAX_RANGE_HEADER) return { kind: "unsatisfiable", reason: "Range header too long" };
  const m = SINGLE_RANGE.exec(value);
  if (!m) return { kind: "unsatisfiable", reason: "Range must be one range: bytes=first-[last] or bytes=-suffix" };
  const [, first, last, suffix] = m;
  if (suffix !== undefined) {
    const n = Number(suffix);
    if (n === 0 || size === 0) return { kind: "unsatisfiable", reason: "an empty suffix range" };
    return { kind: "partial", range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === undefined ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== undefined && Number(last) < start) return { kind: "unsatisfiable", reason: "the range's last byte is before its first" };
  if (start >= size) return { kind: "unsatisfiable", reason: `the range starts at byte ${start}, past the end of ${size} bytes` };
  return { kind: "partial", range: { start, end } };
}
