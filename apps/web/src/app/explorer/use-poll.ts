"use client";

import { useEffect, useState } from "react";

/** A poll that hangs must not stack up behind the next one. */
const REQUEST_TIMEOUT_MS = 4_000;

export interface Poll<T> {
  data: T | null;
  /** What went wrong on the last poll; the last good data stays shown. */
  error: string | null;
}

/**
 * Fetches `url` now (unless the server rendered `initial`) and every `intervalMs` after,
 * skipping polls while the tab is hidden. One request in flight at a time: the next is
 * scheduled only when the previous one settled.
 */
export function usePoll<T>(url: string, intervalMs: number, initial: T | null): Poll<T> {
  const [state, setState] = useState<Poll<T>>({ data: initial, error: null });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    async function tick(): Promise<void> {
      if (document.visibilityState !== "hidden") {
        controller = new AbortController();
        const timeout = setTimeout(() => controller?.abort(), REQUEST_TIMEOUT_MS);
        try {
          const res = await fetch(url, { cache: "no-store", signal: controller.signal });
          if (!res.ok) throw new Error(`the server answered ${res.status}`);
          const data = (await res.json()) as T;
          if (!stopped) setState({ data, error: null });
        } catch (err) {
          if (!stopped) {
            const why =
              err instanceof Error && err.name === "AbortError" ? "no answer in 4 s" : err instanceof Error ? err.message : String(err);
            setState((s) => ({ data: s.data, error: why }));
          }
        } finally {
          clearTimeout(timeout);
        }
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    }
    timer = setTimeout(tick, initial === null ? 0 : intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    };
  }, [url, intervalMs, initial]);
  return state;
}
