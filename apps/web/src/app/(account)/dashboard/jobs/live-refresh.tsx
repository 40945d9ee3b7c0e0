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
    <output style={{ display: "block", fontSize: 13, color: "#475569", margin: "4px 0" }}>Updating live while jobs are in flight.</output>
  ) : null;
}
