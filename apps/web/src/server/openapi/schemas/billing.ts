import { z } from "zod";
import { ZBaseUnits, ZDateTime, ZSignedBaseUnits, ZUuid } from "./common.ts";

export const ZBalance = z
  .strictObject({
    available: ZSignedBaseUnits.describe("Spendable credits."),
    held: ZBaseUnits.describe("Held for jobs and reservations in flight."),
    earnings: ZSignedBaseUnits.describe("A provider's released earnings: spendable, and stakeable in one step."),
    heldEarnings: ZBaseUnits.describe("A provider's job payouts still inside their verification window."),
  })
  .meta({ id: "Balance" });

export const ZCheckout = z
  .strictObject({
    purchaseId: ZUuid,
    url: z.url().nullable().describe("Stripe Checkout: send the buyer here."),
    sessionId: z.string().nullable(),
    status: z.enum(["creating", "open", "paid", "expired", "failed"]),
    tokens: ZBaseUnits,
    amountMinor: z
      .string()
      .regex(/^(0|[1-9][0-9]*)$/)
      .describe("The charge in the currency's minor unit (cents)."),
    currency: z.string(),
    summary: z.string(),
    replayed: z.boolean(),
  })
  .meta({ id: "Checkout" });

export const ZBillingHistory = z
  .strictObject({
    items: z.array(
      z.strictObject({
        id: z.string(),
        kind: z.enum(["purchase", "auto_topup", "grant", "refund", "dispute", "dispute_won"]),
        at: ZDateTime,
        tokens: ZSignedBaseUnits,
        toDebt: ZSignedBaseUnits,
        amountMinor: z
          .string()
          .regex(/^-?(0|[1-9][0-9]*)$/)
          .nullable(),
        currency: z.string().nullable(),
        status: z.string(),
        receiptUrl: z.url().nullable(),
        memo: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "BillingHistory" });
