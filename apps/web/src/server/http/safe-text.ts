import { canonicalJson, CanonicalJsonError } from "@proofgrid/por";
import { z } from "zod";
import { AppError } from "../errors.ts";

// Text Postgres cannot store: U+0000 (text and jsonb refuse it: SQLSTATE 22021, 22P05) and
// half of a UTF-16 surrogate pair (jsonb refuses the escape; a text column would get U+FFFD
// in its place, silently). Both arrive easily in JSON (`"\u0000"`, `"\ud800"`), and each
// was a 500 in 8 places. Refused at the boundary with a 400 that names the field; the
// error mapping turns the same SQLSTATEs into a 400 as the backstop for any field missed.

export const UNSAFE_TEXT_MESSAGE = "must not contain U+0000 (NUL) or unpaired UTF-16 surrogates";

/** A high surrogate not followed by a low one, or a low one not preceded by a high one
 * (String#isWellFormed, which this TypeScript target does not type). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isPostgresSafeText(s: string): boolean {
  return !s.includes("\u0000") && !LONE_SURROGATE.test(s);
}

/** A zod string that Postgres can store: chain `.min()`, `.max()`, `.trim()` as usual. */
export function pgText(message: string = UNSAFE_TEXT_MESSAGE) {
  return z.string().refine(isPostgresSafeText, { message });
}

/**
 * The path of the first string (value or key) in a JSON value that Postgres cannot store,
 * or null. Iterative, so a deeply nested value costs no stack.
 */
export function findUnsafeJsonText(value: unknown, path = "$"): string | null {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, p] = stack.pop() as [unknown, string];
    if (typeof v === "string") {
      if (!isPostgresSafeText(v)) return p;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${p}[${i}]`]);
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (!isPostgresSafeText(k)) return `${p} (a key)`;
        stack.push([child, `${p}.${k}`]);
      }
    }
  }
  return null;
}

/** Refuses (400) a JSON value that cannot be stored as jsonb or hashed as canonical JSON
 * (a number beyond double range such as 1e999, nesting deeper than 64 levels). */
export function assertStorableJson(value: unknown, what: string): void {
  const bad = findUnsafeJsonText(value, what);
  if (bad) throw new AppError("BAD_REQUEST", `${bad} ${UNSAFE_TEXT_MESSAGE}`);
  try {
    canonicalJson(value);
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw new AppError("BAD_REQUEST", `${what}: ${err.message.replace(/^canonical JSON: /, "")}`);
    throw err;
  }
}
