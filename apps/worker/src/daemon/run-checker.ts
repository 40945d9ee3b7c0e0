import { compareModelOutputs } from "@proofgrid/models/custom/compare-model-outputs";
import { capabilityInput } from "@proofgrid/models/capability-input";
import { challengeInput } from "@proofgrid/models/challenge-input";
import {
  type CheckReportItem,
  type CheckTask,
  type CheckTaskItem,
  deliveredCuPerHour,
  hashJson,
  signCheckReport,
  ZCheckLeaseReply,
  ZCheckReportReply,
  ZHeartbeatReply,
} from "@proofgrid/por";
import type { WorkerConfig } from "../config.ts";
import type { NodeIdentity } from "../identity/node-identity.ts";
import type { InferencePool } from "../inference/inference-pool.ts";
import type { Logger } from "../logger.ts";
import type { ModelCache } from "../models/model-cache.ts";
import { type NodeClient, PlatformError } from "../protocol/node-client.ts";
import { leaseLoop } from "./lease-loop.ts";
import { runModel } from "./run-worker.ts";

/** How a checker re-executes one item: by default, honestly. Tests swap in dishonest ones. */
export type CheckExecutor = (
  item: CheckTaskItem,
  honest: () => Promise<{ output: unknown; inferenceMs: number }>,
) => Promise<{ output: unknown; inferenceMs: number }>;

export interface RunCheckerOptions {
  config: WorkerConfig;
  identity: NodeIdentity;
  client: NodeClient;
  pool: InferencePool;
  log: Logger;
  stop: AbortSignal;
  execute?: CheckExecutor;
  /** The disk cache customers' uploaded models are fetched into (issue 17); needed with ACCEPT_CUSTOM_MODELS. */
  models?: ModelCache;
}

/**
 * The checker role of the daemon: lease a check, re-run every item on this machine (a
 * challenge's input is rendered here from its seed), compare with the subject's output by
 * packages/por's rules, and report signed verdicts with its own outputs as evidence. A check
 * it cannot run is not reported: its lease expires and another checker takes it.
 */
export async function runChecker(opts: RunCheckerOptions): Promise<void> {
  const { config, client, log, stop } = opts;
  const execute = opts.execute ?? ((_item, honest) => honest());

  const runItem = async (item: CheckTaskItem): Promise<CheckReportItem> => {
    const honest = async () => {
      const input =
        item.input !== undefined ? item.input : item.seed ? await renderSeeded(item.modelSlug, item.seed, item.generator) : undefined;
      if (input === undefined) throw new Error(`item ${item.ref} has neither input nor seed`);
      const r = await runModel({
        job: { modelId: item.custom?.modelId ?? "", modelSlug: item.modelSlug, input, custom: item.custom },
        pool: opts.pool,
        models: opts.models,
        accepts: config.ACCEPT_CUSTOM_MODELS,
      });
      if (!r.ok) throw new Error(`re-execution failed: ${r.error}`);
      return { output: r.output, inferenceMs: r.inferenceMs };
    };
    const mine = await execute(item, honest);
    const cmp = compareModelOutputs({ slug: item.modelSlug, a: mine.output, b: item.output, custom: item.custom });
    return {
      ref: item.ref,
      match: cmp.match,
      reason: cmp.reason,
      metrics: cmp.metrics,
      output: mine.output,
      outputHash: hashJson(mine.output),
      inferenceMs: Math.round(mine.inferenceMs * 1000) / 1000,
    };
  };

  const runCheck = async (task: CheckTask): Promise<void> => {
    const clog = log.child({ checkId: task.checkId, attempt: task.attempt, kind: task.kind, items: task.items.length });
    clog.info("check leased");
    try {
      const items: CheckReportItem[] = [];
      for (const item of task.items) items.push(await runItem(item));
      const timed = task.items.filter((i): i is CheckTaskItem & { wallMs: number } => typeof i.wallMs === "number" && i.wallMs > 0);
      const measuredCuPerHour = task.claimedCuPerHour && timed.length > 0 ? Math.round(deliveredCuPerHour(timed)) : undefined;
      const report = signCheckReport({ checkId: task.checkId, attempt: task.attempt, items, measuredCuPerHour }, opts.identity.privateKey);
      const res = await client.postWithRetry("/api/node/checks/report", report, ZCheckReportReply, {
        maxDelayMs: config.RETRY_MAX_DELAY_MS,
        maxAttempts: 20,
      });
      clog.info({ status: res.status, mismatches: items.filter((i) => !i.match).length, measuredCuPerHour }, "check reported");
    } catch (err) {
      if (err instanceof PlatformError && err.status === 409) clog.warn({ msg: err.message }, "check lease lost");
      else clog.error({ err: String(err) }, "check failed; its lease will expire and another checker takes it");
    }
  };

  // A checker sends no heartbeats while it works (its check leases are not renewed), so it
  // says once at start whether it re-runs uploaded models: a restart with another setting
  // takes effect without registering again. A failure leaves the setting as it was.
  await client
    .post("/api/node/heartbeat", { leases: [], acceptsCustomModels: config.ACCEPT_CUSTOM_MODELS }, ZHeartbeatReply)
    .catch((err) => log.warn({ err: String(err) }, "could not send the custom-models setting; the registered one stands"));

  await Promise.all(
    Array.from({ length: config.CONCURRENCY }, (_, slot) =>
      leaseLoop({
        client,
        config,
        log,
        stop,
        slot,
        path: "/api/node/checks/lease",
        waitMs: Math.min(config.LEASE_WAIT_MS, 20_000),
        reply: ZCheckLeaseReply,
        take: (reply) => reply.check,
        run: runCheck,
      }),
    ),
  );
}

/** A challenge item's input, rebuilt here from its seed exactly as the platform built it. */
async function renderSeeded(slug: string, seed: string, generator: CheckTaskItem["generator"]): Promise<unknown> {
  return generator === "capability" ? capabilityInput(slug as never, seed) : (await challengeInput(slug as never, seed)).input;
}
