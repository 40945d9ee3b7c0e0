import { z } from "zod";
import { ZBaseUnits, ZDateTime, ZUuid } from "./common.ts";
import { ZRegionLoad } from "./market.ts";

const ZActivity = z.strictObject({
  bucket: ZDateTime,
  model: z.string(),
  region: z.string(),
  jobs: z.int().min(0),
  succeeded: z.int().min(0),
  medianDurationMs: z.number().min(0).nullable(),
});

export const ZLiveNetwork = z
  .strictObject({
    at: ZDateTime,
    nodesOnline: z.int().min(0),
    cuPerHourOnline: z.number().min(0),
    cuPerHourAvailable: z.number().min(0),
    jobsPerMinute: z.number().min(0),
    jobsQueued: z.int().min(0),
    platformRegion: z.string(),
    regions: z.array(ZRegionLoad),
    recentActivity: z.array(ZActivity),
    delayMs: z.int().min(0),
  })
  .meta({ id: "LiveNetwork" });

export const ZRecentActivity = z
  .strictObject({ bucketMs: z.int().min(1), delayMs: z.int().min(0), activity: z.array(ZActivity) })
  .meta({ id: "RecentActivity" });

export const ZProviderRecords = z
  .strictObject({
    providers: z.array(
      z.strictObject({
        providerId: ZUuid,
        nodes: z.int().min(0),
        nodesOnline: z.int().min(0),
        frauds: z.int().min(0),
        slashed: ZBaseUnits,
        refunded: ZBaseUnits,
        lastFraudAt: ZDateTime.nullable(),
        standing: z.strictObject({ starterAllowance: ZBaseUnits, stakeMultiplier: z.number(), newNodesOnProbation: z.boolean() }),
      }),
    ),
  })
  .meta({ id: "ProviderRecords" });

export const ZPublicKeys = z
  .strictObject({
    platform: z.string().describe("The platform's Ed25519 public key."),
    node: z.strictObject({ id: ZUuid, publicKey: z.string() }).optional().describe("With `?node=`: that node's key."),
  })
  .meta({ id: "PublicKeys" });

const ZSamplingPolicy = z.strictObject({ floor: z.number(), cap: z.number(), warmupJobs: z.int().min(0) });

export const ZVerificationEpochs = z
  .strictObject({
    current: z.strictObject({
      epoch: z.int().min(0),
      epochMs: z.int().min(1),
      startsAt: ZDateTime,
      checksDone: z.int().min(0),
      frauds: z.int().min(0),
      openChecks: z.int().min(0),
      slashes: z.int().min(0),
      policy: z.strictObject({
        reexecution: ZSamplingPolicy,
        canary: ZSamplingPolicy,
        plantedRate: z.number(),
        slashSafety: z.number(),
      }),
    }),
    epochs: z.array(
      z.strictObject({
        epoch: z.int().min(0),
        startsAt: ZDateTime,
        endsAt: ZDateTime,
        customerJobs: z.int().min(0),
        challengeJobs: z.int().min(0),
        checksRun: z.int().min(0),
        passes: z.int().min(0),
        mismatches: z.int().min(0),
        frauds: z.int().min(0),
        slashes: z.int().min(0),
        slashedAmount: ZBaseUnits,
        refunds: z.int().min(0),
        reexecuted: z.int().min(0),
        recheckRate: z.number().min(0),
        checkerRewards: ZBaseUnits,
      }),
    ),
  })
  .meta({ id: "VerificationEpochs" });
