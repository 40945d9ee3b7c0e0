"use client";

import { useEffect } from "react";

/**
 * The dashboard's tabs are one row that scrolls sideways on a phone; on a page whose tab is
 * past the edge (Workers at 375 px), scroll that row, and only that row, to show it.
 */
export function CurrentTabInView({ navId }: { navId: string }) {
  useEffect(() => {
    const nav = document.getElementById(navId);
    const current = nav?.querySelector<HTMLElement>('[aria-current="page"]');
    if (!nav || !current) return;
    const right = current.offsetLeft + current.offsetWidth - nav.offsetLeft;
    if (right > nav.scrollLeft + nav.clientWidth) nav.scrollLeft = right - nav.clientWidth + 16;
  }, [navId]);
  return null;
}
