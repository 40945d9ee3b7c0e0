"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Poll interval while some shown job is not finished. */
const REFRESH_MS = 2_000;
/** Stop after this long on one page (a job stuck in the queue should not poll forever). */
const MAX_REFRESH_MS = 10 * 60_000;

/**
 * While `active`, re-renders the server component every couple of seconds (no reload: the
 * page keeps its scroll and focus), so queued and running jobs move on by themselves.
 */
export function LiveRefresh({ active }: { active: boolean }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const started = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - started > MAX_REFRESH_MS) clearInterval(timer);
      else router.refresh();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, router]);
  return active ? (
    <output className="my-1 flex items-center gap-2 text-[13px] text-muted">
      <span aria-hidden="true" className="size-2 motion-safe:animate-pulse rounded-full bg-accent" />
      Updating live while jobs are in flight.
    </output>
  ) : null;
}
