import { AppError } from "../errors.ts";
import type { ApiScope } from "./scopes.ts";

export type OrgRole = "owner" | "member";

/** Who is calling: resolved once per request at the boundary, passed to services. */
export type Caller =
  | { kind: "apiKey"; orgId: string; keyId: string; scopes: ReadonlySet<ApiScope> }
  /** A signed-in user acting for the session's active organisation, checked against memberships on this request. */
  | { kind: "session"; orgId: string; userId: string; role: OrgRole; scopes: ReadonlySet<ApiScope> }
  | { kind: "anonymous" };

export type OrgCaller = Extract<Caller, { orgId: string }>;

export function requireScope(caller: Caller, scope: ApiScope): OrgCaller {
  if (caller.kind === "anonymous") {
    throw new AppError("UNAUTHORIZED", "missing API key: send 'Authorization: Bearer <key>', or sign in");
  }
  if (!caller.scopes.has(scope)) {
    throw new AppError("FORBIDDEN", `this API key lacks the '${scope}' scope`);
  }
  return caller;
}
