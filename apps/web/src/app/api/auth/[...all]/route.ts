import { handleAuthRequest } from "~/server/auth/throttled-auth-handler";

export const dynamic = "force-dynamic";

// better-auth's endpoints: /api/auth/sign-up/email, /sign-in/email, /sign-out, /get-session, ...
// behind the sign-in, sign-up and reset limits (server/auth/auth-throttle.ts).
export { handleAuthRequest as GET, handleAuthRequest as POST };
