import { type NextRequest, NextResponse } from "next/server";
import { PATH_HEADER } from "./server/http/path-header";

/**
 * Tells the signed-in pages their own address (path and query), which a server component
 * cannot read: a page whose session has expired sends the person to sign in with
 * `?next=<that address>`, and back to it afterwards. Set here, never taken from the client
 * (a request's own header of that name is overwritten), and checked again as a path on this
 * site before use (next-path.ts).
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/dashboard/:path*", "/onboarding", "/admin/:path*"] };
