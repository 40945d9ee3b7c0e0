import { z } from "zod";
import { ZBaseUnits, ZDateTime, ZUuid } from "./common.ts";

export const ZRewardClaim = z
  .strictObject({
    id: ZUuid,
    kind: z.enum(["vested", "early"]),
    grantId: ZUuid.nullable(),
    requested: ZBaseUnits.nullable(),
    gross: ZBaseUnits,
    paid: ZBaseUnits,
    haircut: ZBaseUnits,
    createdAt: ZDateTime,
  })
  .meta({ id: "RewardClaim" });

export const ZRewards = z
  .strictObject({
    granted: ZBaseUnits,
    claimable: ZBaseUnits,
    unvested: ZBaseUnits,
    claimed: ZBaseUnits,
    forfeited: ZBaseUnits,
    earlyClaim: z.strictObject({ paid: ZBaseUnits, haircut: ZBaseUnits }),
    haircutBps: z.int().min(0),
    vestingDays: z.number().min(0),
    fullyVestedAt: ZDateTime.nullable(),
    grants: z.array(
      z.strictObject({
        id: ZUuid,
        epoch: z.int().min(0),
        role: z.enum(["worker", "checker", "platform"]),
        amount: ZBaseUnits,
        basis: z.string(),
        vested: ZBaseUnits,
        claimable: ZBaseUnits,
        released: ZBaseUnits,
        forfeited: ZBaseUnits,
        vestStart: ZDateTime,
        vestEnd: ZDateTime,
      }),
    ),
    claims: z.array(ZRewardClaim),
    series: z.array(z.strictObject({ at: ZDateTime, granted: ZBaseUnits, vested: ZBaseUnits, claimed: ZBaseUnits })),
    asOf: ZDateTime,
  })
  .meta({ id: "Rewards" });

export const ZEmissions = z
  .strictObject({
    emissions: z.array(
      z.strictObject({
        epoch: z.int().min(0),
        startsAt: ZDateTime,
        scheduled: ZBaseUnits,
        granted: ZBaseUnits,
        workers: ZBaseUnits,
        checkers: ZBaseUnits,
        platform: ZBaseUnits,
      }),
    ),
  })
  .meta({ id: "Emissions" });

/** rewards/claim checks its body by hand: this documents what it accepts. */
export const ZClaimRewardsBody = z.object({
  kind: z.enum(["vested", "early"]).optional().describe("Default `vested`."),
  grantId: ZUuid.nullable().optional(),
  amount: ZBaseUnits.nullable().optional().describe("Part of what has vested; default all of it."),
  haircut: ZBaseUnits.nullable().optional().describe("For `early`: the most the haircut may be (a larger one is a 409)."),
  idempotencyKey: z.string().min(1).max(200).optional(),
});
