import { createHash } from "node:crypto";

// Canonical JSON: the one byte string that signatures and content hashes are computed over.
// Object keys are sorted by UTF-16 code units and there is no whitespace, as in RFC 8785
// (JCS); numbers and strings use ECMAScript's JSON spelling, which is what JCS specifies.
// Anything JSON cannot carry faithfully is refused rather than silently changed, because a
// value that JSON.stringify would drop (undefined) or rewrite (NaN → null, Date → string)
// would make the signer and the verifier hash different things.

/** Nesting bound: deep enough for any receipt or model output, shallow enough that a
 * hostile document cannot exhaust the stack. */
export const MAX_CANONICAL_JSON_DEPTH = 64;

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export class CanonicalJsonError extends TypeError {
  /** JSONPath-like location of the offending value, e.g. `$.outputs[2].score`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`canonical JSON: ${problem} at ${path}`);
    this.name = "CanonicalJsonError";
    this.path = path;
  }
}

/** Serialises `value` to canonical JSON. Throws CanonicalJsonError on anything that is not
 * plain JSON data: undefined, NaN, ±Infinity, bigint, functions, symbols, class instances
 * (Date, Map, typed arrays…), sparse arrays, cycles, or nesting beyond the bound. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, "$", 0, new Set<object>(), parts);
  return parts.join("");
}

/** sha256 of a byte string or of a string's UTF-8 bytes, as 64 lower-case hex digits. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 hex of the canonical JSON of `value`: the content address of plain data. */
export function hashJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

function write(value: unknown, path: string, depth: number, ancestors: Set<object>, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${String(value)} is not representable in JSON`);
      // JSON.stringify(-0) is "0", as JCS requires.
      out.push(JSON.stringify(value));
      return;
    case "bigint":
      throw new CanonicalJsonError(path, "bigint is not representable in JSON (encode it as a decimal string)");
    case "undefined":
      throw new CanonicalJsonError(path, "undefined is not representable in JSON (omit the key or use null)");
    case "function":
    case "symbol":
      throw new CanonicalJsonError(path, `a ${typeof value} is not representable in JSON`);
    case "object":
      break;
  }
  if (value === null) {
    out.push("null");
    return;
  }
  const object = value as object;
  if (depth >= MAX_CANONICAL_JSON_DEPTH) {
    throw new CanonicalJsonError(path, `nesting deeper than ${MAX_CANONICAL_JSON_DEPTH} levels`);
  }
  if (ancestors.has(object)) throw new CanonicalJsonError(path, "circular reference");
  ancestors.add(object);
  if (Array.isArray(object)) {
    out.push("[");
    for (let index = 0; index < object.length; index++) {
      if (!Object.hasOwn(object, index)) throw new CanonicalJsonError(`${path}[${index}]`, "sparse array hole");
      if (index > 0) out.push(",");
      write(object[index], `${path}[${index}]`, depth + 1, ancestors, out);
    }
    out.push("]");
  } else {
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
      throw new CanonicalJsonError(path, `${typeof name === "string" ? name : "a class instance"} is not plain JSON data`);
    }
    if (Object.getOwnPropertySymbols(object).length > 0) throw new CanonicalJsonError(path, "symbol keys are not representable in JSON");
    const record = object as Record<string, unknown>;
    // Default sort compares UTF-16 code units, the order RFC 8785 prescribes.
    const keys = Object.keys(record).sort();
    out.push("{");
    keys.forEach((key, index) => {
      if (index > 0) out.push(",");
      out.push(JSON.stringify(key), ":");
      write(record[key], `${path}${memberPath(key)}`, depth + 1, ancestors, out);
    });
    out.push("}");
  }
  ancestors.delete(object);
}

function memberPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
