import { z } from "zod";

/** Sign-in, sign-up and password-reset limits (auth/auth-throttle.ts). */
export const ZThrottleEnv = z.object({
  SIGNIN_FREE_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
  SIGNIN_BACKOFF_BASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  SIGNIN_BACKOFF_MAX_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
  SIGNIN_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).max(100_000).default(60),
  RESET_ACCOUNT_REQUESTS: z.coerce.number().int().min(1).max(1_000).default(3),
  RESET_ADDRESS_REQUESTS: z.coerce.number().int().min(1).max(100_000).default(20),
  SIGNUP_ADDRESS_REQUESTS: z.coerce.number().int().min(1).max(100_000).default(20),
});
