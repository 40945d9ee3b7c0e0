// The playground calls the tRPC procedures over HTTP with the browser's session cookie (no
// API key): the same procedures, checks and limits as the API. Bodies use superjson's
// envelope ({ json }); the values here (strings, numbers, plain objects) need no meta.

import { ORG_HEADER } from "~/server/api/org-header";

export class ProcedureError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  result?: { data?: { json?: T } };
  error?: { json?: { message?: string; data?: { code?: string } } };
}

async function unwrap<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as Envelope<T> | null;
  if (res.ok && body?.result?.data && "json" in body.result.data) return body.result.data.json as T;
  const err = body?.error?.json;
  throw new ProcedureError(err?.message ?? `The server answered ${res.status}.`, err?.data?.code ?? String(res.status));
}

export async function trpcMutation<T>(path: string, input: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
    signal,
  });
  return unwrap<T>(res);
}

/** `orgId`: the organisation a page shows (`?org=`), else the session's active one. */
export async function trpcQuery<T>(path: string, input: unknown, signal?: AbortSignal, orgId?: string): Promise<T> {
  const res = await fetch(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, {
    signal,
    headers: orgId ? { [ORG_HEADER]: orgId } : undefined,
  });
  return unwrap<T>(res);
}
