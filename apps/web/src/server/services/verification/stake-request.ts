import { z } from "zod";
import { ZIdempotencyKey } from "../idempotency/run-idempotent.ts";

export const ZStakeRequest = z.object({
  /** Token base units (1 token = 10^6), as a decimal string: amounts exceed 2^53. */
  amount: z.string().regex(/^[1-9][0-9]{0,17}$/, "amount must be a positive integer of base units, as a string"),
  /** Retrying with the same key moves the tokens once (or send an `Idempotency-Key` header: one of the two is required). */
  idempotencyKey: ZIdempotencyKey.optional(),
});
export type TStakeRequest = z.infer<typeof ZStakeRequest>;
