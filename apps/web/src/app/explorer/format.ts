/** Formatting shared by the explorer's server and client renders: fixed locale and UTC, so hydration matches. */

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString("en");
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

/** Age of `iso` relative to the snapshot time `at` (not the clock: server and client agree). */
export function formatAge(iso: string, at: string): string {
  const s = Math.max(0, Math.round((Date.parse(at) - Date.parse(iso)) / 1_000));
  if (s < 60) return `${s} s ago`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3_600)} h ago`;
}

export function formatUtcTime(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

/** A feed delay in words: "2 min", "30 s". */
export function formatDelay(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1_000)} s`;
}
