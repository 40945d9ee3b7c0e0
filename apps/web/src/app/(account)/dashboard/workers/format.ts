import { formatTokens } from "../../../../server/services/billing/tokens";
import type { WorkerRow } from "~/server/services/providers/list-workers";

// Shared by the server pages and the polling table (a client module cannot export plain
// functions to server components), so both say the same thing the same way.

export const STATUS_LABEL = { online: "Online", offline: "Offline", quarantined: "Quarantined" } as const;
/** The status pill's colour: green online, grey offline, orange quarantined. */
export const STATUS_TONE = { online: "success", offline: "neutral", quarantined: "warning" } as const;

/** Base units → tokens (1 token = 10^6): billing's formatter, one for the whole app. */
export function tokens(baseUnits: string): string {
  return formatTokens(baseUnits);
}

/** The accepted capability, or the claimed one until the registration check has measured it. */
export function capability(w: Pick<WorkerRow, "cuPerHour" | "claimedCuPerHour">): string {
  const cu = w.cuPerHour || w.claimedCuPerHour;
  return `${cu.toLocaleString("en")} CU/h`;
}
