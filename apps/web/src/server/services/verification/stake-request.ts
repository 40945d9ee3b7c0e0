import { z } from "zod";
import { ZIdempotencyKey } from "../idempotency/run-idempotent.ts";

export const ZStakeRequest = z.object({
  /** Token base units (1 token = 10^6), as a decimal string: amounts exceed 2^53. */
  amount: z.string().regex(/^[1-9][0-9]{0,17}$/, "amount must be a positive integer of base units, as a string"),
  /** Retrying with the same key moves the tokens once (the `Idempotency-Key` header does the
   * same). Without one the request runs once and a retry is a second request. */
  idempotencyKey: ZIdempotencyKey.optional(),
});
export type TStakeRequest = z.infer<typeof ZStakeRequest>;

export const ZStakeNodeRequest = ZStakeRequest.extend({
  /** Where the tokens come from: released earnings first, then credits (`any`, the default);
   * only released earnings ("move earnings to stake"); or only credits. */
  source: z.enum(["any", "earnings", "available"]).default("any"),
});
export type TStakeNodeRequest = z.infer<typeof ZStakeNodeRequest>;
