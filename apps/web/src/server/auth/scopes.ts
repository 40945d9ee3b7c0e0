export const API_SCOPES = [
  "jobs:read",
  "jobs:write",
  "models:read",
  /** Upload custom models (issue 17): resumable uploads, registration, deletion of the organisation's own. */
  "models:write",
  "billing:read",
  /** Buy credits by card (Checkout), change spend caps, alerts and auto top-up. */
  "billing:write",
  "nodes:read",
  "nodes:write",
  "keys:write",
  /** Set the payout address and withdraw earnings to it (owners only in the dashboard). */
  "payouts:write",
] as const;

export type ApiScope = (typeof API_SCOPES)[number];
