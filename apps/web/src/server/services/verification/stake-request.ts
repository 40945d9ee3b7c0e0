import { z } from "zod";

export const ZStakeRequest = z.object({
  /** Token base units (1 token = 10^6), as a decimal string: amounts exceed 2^53. */
  amount: z.string().regex(/^[1-9][0-9]{0,17}$/, "amount must be a positive integer of base units, as a string"),
  /** Retrying with the same key moves the tokens once. */
  idempotencyKey: z.string().min(1).max(200),
});
