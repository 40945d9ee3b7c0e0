import type { WorkerRow } from "~/server/services/providers/list-workers";

// Shared by the server pages and the polling table (a client module cannot export plain
// functions to server components), so both say the same thing the same way.

export const STATUS_LABEL = { online: "Online", offline: "Offline", quarantined: "Quarantined" } as const;
/** The status pill's colour: green online, grey offline, orange quarantined. */
export const STATUS_TONE = { online: "success", offline: "neutral", quarantined: "warning" } as const;

/** Base units → tokens (1 token = 10^6), as billing's formatTokens. */
export function tokens(baseUnits: string): string {
  const v = BigInt(baseUnits);
  const sign = v < 0n ? "-" : "";
  const abs = v < 0n ? -v : v;
  const frac = (abs % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${sign}${abs / 1_000_000n}${frac ? `.${frac}` : ""}`;
}

/** The accepted capability, or the claimed one until the registration check has measured it. */
export function capability(w: Pick<WorkerRow, "cuPerHour" | "claimedCuPerHour">): string {
  const cu = w.cuPerHour || w.claimedCuPerHour;
  return `${cu.toLocaleString("en")} CU/h`;
}
