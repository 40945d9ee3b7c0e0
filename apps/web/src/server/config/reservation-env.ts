import { z } from "zod";

/** Reserved capacity (services/reservations). */
export const ZReservationEnv = z.object({
  /** Length of one billing period: an hour in production; e2e tests use a few seconds. */
  RESERVATION_BILLING_PERIOD_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
});
