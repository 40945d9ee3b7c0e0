import { getAuth } from "~/server/auth/better-auth";

export const dynamic = "force-dynamic";

// better-auth's endpoints: /api/auth/sign-up/email, /sign-in/email, /sign-out, /get-session, ...
function handler(req: Request): Promise<Response> {
  return getAuth().handler(req);
}

export { handler as GET, handler as POST };
