export const API_SCOPES = [
  "jobs:read",
  "jobs:write",
  "models:read",
  "billing:read",
  "nodes:read",
  "nodes:write",
  "keys:write",
] as const;

export type ApiScope = (typeof API_SCOPES)[number];
