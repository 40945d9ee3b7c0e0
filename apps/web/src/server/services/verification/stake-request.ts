import { z } from "zod";

export const ZStakeRequest = z.object({
  /** Token base units (1 token = 10^6), as a decimal string: amounts exceed 2^53. */
  amount: z.string().regex(/^[1-9][0-9]{0,17}$/, "amount must be a positive integer of base units, as a string"),
  /** Optional: retrying with the same key moves the tokens once (the `Idempotency-Key` header
   * does the same). Without one the server makes one, and a retry is a second request. */
  idempotencyKey: z.string().min(1).max(200).optional(),
});

export const ZStakeNodeRequest = ZStakeRequest.extend({
  /** Where the tokens come from: released earnings first, then credits (`any`, the default);
   * only released earnings ("move earnings to stake"); or only credits. */
  source: z.enum(["any", "earnings", "available"]).default("any"),
});

/** The `Idempotency-Key` header, if sent (the same bounds as the body's key). */
export function idempotencyKeyHeader(headers: Headers): string | undefined {
  const v = headers.get("idempotency-key")?.trim();
  if (!v) return undefined;
  const parsed = z.string().min(1).max(200).safeParse(v);
  return parsed.success ? parsed.data : undefined;
}
