import { z } from "zod";
import { ZBaseUnits, ZDateTime, ZUuid } from "./common.ts";
import { ZEliminated } from "./market.ts";

const ZTermName = z.enum(["latency", "reputation", "price", "warm", "stake", "fairness"]);

export const ZNodeDiagnostics = z
  .strictObject({
    nodeId: ZUuid,
    online: z.boolean(),
    status: z.enum(["online", "offline", "quarantined"]),
    region: z.string(),
    askPricePerCu: ZBaseUnits,
    windowMs: z.int().min(0),
    chosen: z.int().min(0),
    runnerUp: z.int().min(0),
    analysis: z.strictObject({
      jobsAnalysed: z.int().min(0),
      ownOrgJobs: z.int().min(0),
      eliminated: ZEliminated,
      lostOnPrice: z.int().min(0),
      nearby: z.int().min(0),
      passed: z.int().min(0),
      withinLatencyWindow: z.int().min(0),
      won: z.int().min(0),
      outscored: z.int().min(0),
      wouldWinNow: z.int().min(0),
      demandByClientRegion: z.record(z.string(), z.int().min(0)),
      lostOn: z.array(z.strictObject({ term: ZTermName, meanDeficit: z.number() })),
    }),
    reasons: z.array(
      z.strictObject({
        code: z.enum([
          "outscored",
          "offline",
          "paused",
          "quarantined",
          "open_dispute",
          "exposure_limit",
          "starter_limit",
          "probation",
          "price_above_market",
          "missing_model",
          "low_reputation",
          "region_no_demand",
          "busy",
          "ok",
        ]),
        message: z.string(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: "NodeDiagnostics" });

export const ZCapabilityEvidence = z
  .strictObject({
    nodeId: ZUuid,
    claimedCuPerHour: z.number().min(0),
    creditedCuPerHour: z.number().min(0),
    admission: z.enum(["pending", "passed", "derated", "refused"]),
    machineBusy: z.number().nullable(),
    idleSince: ZDateTime.nullable(),
    remeasureAfter: ZDateTime.nullable(),
    measurements: z.array(
      z.strictObject({
        checkId: ZUuid,
        status: z.string(),
        verdict: z.string().nullable(),
        openedAt: ZDateTime,
        finishedAt: ZDateTime.nullable(),
        measuredCuPerHour: z.number().nullable(),
        perModel: z.array(
          z.strictObject({ model: z.string(), timedJobs: z.int().min(0), medianChargedMs: z.number(), medianCostMilliCu: z.number() }),
        ),
        jobs: z.array(
          z.strictObject({
            jobId: ZUuid,
            model: z.string(),
            costMilliCu: z.number(),
            receiptMs: z.number().nullable(),
            leaseMs: z.number().nullable(),
            chargedMs: z.number().nullable(),
            timed: z.boolean(),
            machineBusy: z.number().nullable(),
          }),
        ),
        decision: z
          .strictObject({
            decision: z.enum(["passed", "remeasure", "derated", "refused"]),
            claimed: z.number(),
            measurements: z.array(z.strictObject({ checkId: ZUuid, measured: z.number() })),
            credited: z.number(),
            reason: z.string(),
          })
          .nullable(),
      }),
    ),
  })
  .meta({ id: "CapabilityEvidence" });

export const ZUpdatedNode = z
  .strictObject({
    nodeId: ZUuid,
    name: z.string(),
    paused: z.boolean(),
    pausedAt: ZDateTime.nullable(),
    askPricePerCu: ZBaseUnits.nullable().describe("The node's own ask; null = the list price."),
    effectiveAskPricePerCu: ZBaseUnits,
    listPricePerCu: ZBaseUnits,
    offersReturned: z.int().min(0),
  })
  .meta({ id: "UpdatedNode" });

export const ZRemovedNode = z.strictObject({ nodeId: ZUuid, removedAt: ZDateTime }).meta({ id: "RemovedNode" });

export const ZNodeStake = z
  .strictObject({
    nodeId: ZUuid,
    bonded: ZBaseUnits,
    unbonding: z.strictObject({ total: ZBaseUnits, requests: z.array(z.strictObject({ amount: ZBaseUnits, releaseAt: ZDateTime })) }),
    exposure: z.strictObject({
      inFlight: ZBaseUnits,
      held: ZBaseUnits,
      used: ZBaseUnits,
      limit: ZBaseUnits,
      headroom: ZBaseUnits,
      factor: z.number(),
      stakeMultiplier: z.number(),
      stakeBacked: ZBaseUnits,
    }),
    starter: z.strictObject({ allowance: ZBaseUnits, allowanceLeft: ZBaseUnits, onAllowance: z.boolean() }),
    provider: z.strictObject({ frauds: z.int().min(0), slashed: z.boolean(), onProbation: z.boolean() }),
    heldEarnings: z.strictObject({
      total: ZBaseUnits,
      jobs: z.int().min(0),
      nextReleaseAt: ZDateTime.nullable(),
      lastReleaseAt: ZDateTime.nullable(),
      releases: z.array(z.strictObject({ jobId: ZUuid, amount: ZBaseUnits, releaseAt: ZDateTime })),
    }),
    stakeableBalance: z.strictObject({ earnings: ZBaseUnits, available: ZBaseUnits }),
    openDispute: z.boolean(),
    enforced: z.boolean(),
  })
  .meta({ id: "NodeStake" });

export const ZStakeResult = z
  .strictObject({
    transferId: ZUuid,
    created: z.boolean().describe("false: the key's earlier bond, answered again."),
    idempotencyKey: z.string().describe("The key sent, or the one the server chose when none was."),
    fromEarnings: ZBaseUnits,
    fromAvailable: ZBaseUnits,
  })
  .meta({ id: "StakeResult" });

export const ZUnbondResult = z
  .strictObject({ requestId: ZUuid, releaseAt: ZDateTime, idempotencyKey: z.string() })
  .meta({ id: "UnbondResult" });

export const ZRegistrationToken = z
  .strictObject({
    token: z.string(),
    expiresAt: ZDateTime,
    role: z.enum(["worker", "checker"]),
    platformUrl: z.url(),
    region: z.string().nullable(),
    regions: z.array(z.string()).optional(),
    packageUrl: z.string(),
    nodeVersion: z.string(),
    commands: z.strictObject({ install: z.string(), gpuInstall: z.string(), register: z.string(), start: z.string() }),
    command: z.string(),
    notes: z.array(z.string()),
  })
  .meta({ id: "RegistrationToken" });
