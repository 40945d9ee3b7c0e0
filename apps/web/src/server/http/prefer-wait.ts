import { AppError } from "../errors.ts";

/** The longest a request may be held for its job (the `?wait=` of GET /api/v1/jobs/:id too). */
export const MAX_WAIT_MS = 60_000;

/**
 * How long a submit may hold its answer for the job to finish (a synchronous submit: one
 * request instead of a submit and a wait), from `?wait=<ms>` or the `Prefer: wait=<seconds>`
 * header (RFC 7240 §4.3, as Replicate's API takes it). The query wins when both are given.
 * A Prefer header is a preference: past the bound it is held to the bound, and `applied`
 * is the `Preference-Applied` answer. A malformed `?wait=` is a 400; a malformed
 * preference is ignored, as RFC 7240 asks.
 */
export function submitWait(url: URL, headers: Headers): { waitMs: number; applied: string | null } | null {
  const query = url.searchParams.get("wait");
  if (query !== null) {
    if (!/^\d{1,6}$/.test(query) || Number(query) > MAX_WAIT_MS) {
      throw new AppError("BAD_REQUEST", `invalid request: wait is a whole number of milliseconds from 0 to ${MAX_WAIT_MS}`);
    }
    return { waitMs: Number(query), applied: null };
  }
  const prefer = headers.get("prefer");
  if (!prefer || prefer.length > 1_000) return null;
  for (const part of prefer.split(",")) {
    const m = /^\s*wait\s*=\s*"?(\d{1,9})"?\s*(?:;.*)?$/i.exec(part);
    if (!m) continue;
    const seconds = Math.min(Number(m[1]), MAX_WAIT_MS / 1000);
    return { waitMs: seconds * 1000, applied: `wait=${seconds}` };
  }
  return null;
}
