import { z } from "zod";
import { ZBaseUnits, ZDateTime, ZEvmAddress, ZUuid } from "./common.ts";

export const ZWithdrawalQuote = z
  .strictObject({
    enabled: z.boolean(),
    available: ZBaseUnits,
    minimum: ZBaseUnits,
    maximum: ZBaseUnits,
    flatFee: ZBaseUnits,
    feeBps: z.int().min(0),
    amount: ZBaseUnits.nullable(),
    fee: ZBaseUnits.nullable(),
    net: ZBaseUnits.nullable(),
    payoutAddress: ZEvmAddress.nullable(),
    confirmations: z.int().min(0),
    chainId: z.int().nullable(),
    tokenAddress: ZEvmAddress.nullable(),
  })
  .meta({ id: "WithdrawalQuote" });

export const ZPayoutAddress = z
  .union([z.strictObject({ address: ZEvmAddress, verifiedAt: ZDateTime }), z.strictObject({ address: z.null() })])
  .meta({ id: "PayoutAddress", description: "The verified payout address, or `{ address: null }`." });

export const ZVerifiedPayoutAddress = z.strictObject({ address: ZEvmAddress, verifiedAt: ZDateTime }).meta({ id: "VerifiedPayoutAddress" });

export const ZPayoutAddressChallenge = z
  .strictObject({ challengeId: ZUuid, address: ZEvmAddress, message: z.string(), expiresAt: ZDateTime })
  .meta({ id: "PayoutAddressChallenge" });

export const ZWithdrawal = z
  .strictObject({
    id: ZUuid,
    state: z.enum(["queued", "signed", "paid", "failed"]),
    amount: ZBaseUnits,
    fee: ZBaseUnits,
    net: ZBaseUnits,
    toAddress: ZEvmAddress,
    chainId: z.int(),
    txHash: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/)
      .nullable(),
    explorerUrl: z.url().nullable(),
    createdAt: ZDateTime,
    paidAt: ZDateTime.nullable(),
    failedAt: ZDateTime.nullable(),
    failureReason: z.string().nullable(),
  })
  .meta({ id: "Withdrawal" });

export const ZWithdrawalList = z.strictObject({ withdrawals: z.array(ZWithdrawal) }).meta({ id: "WithdrawalList" });

// The payouts and rewards routes check their bodies by hand (parseBaseUnits), not with zod:
// these document what they accept.
const ZBaseUnitsInput = z.union([ZBaseUnits, z.int().positive()]).describe("Base units, a decimal string (or a safe integer).");

export const ZPayoutAddressChallengeBody = z.object({ address: ZEvmAddress });
export const ZVerifyPayoutAddressBody = z.object({
  challengeId: ZUuid,
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]+$/)
    .describe("personal_sign of the challenge's message by the address's key."),
});
export const ZWithdrawalBody = z.object({
  amount: ZBaseUnitsInput,
  fee: ZBaseUnitsInput.optional().describe("When sent, must equal the quoted fee."),
  idempotencyKey: z.string().min(1).max(200).optional(),
});
