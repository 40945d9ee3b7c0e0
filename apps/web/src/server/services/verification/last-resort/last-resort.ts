import { Worker } from "node:worker_threads";
import { claimCheckForPlatform } from "@proofgrid/db/checks/check-leases";
import { loadPlatformDueChecks } from "@proofgrid/db/checks/platform-due-checks";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { type CustomModelRun, hashJson } from "@proofgrid/por";
import { compareModelOutputs } from "@proofgrid/models/custom/compare-model-outputs";
import { modelStore } from "../../models/model-store.ts";
import { logger } from "../../../logger.ts";
import { type CheckRow, checkItems, loadCheck } from "../check-tasks.ts";
import { getPorConfig } from "../por-config.ts";
import { applyPlatformVerdicts, type ItemVerdict, itemComparer } from "../report-check.ts";
import type { ExecuteRequest, ExecuteResponse } from "./messages.ts";

// The executor of last resort: the platform re-executes a check itself, with the real models,
// when no independent checker can. A dispute must be settled within POR_DISPUTE_DEADLINE_MS:
// it is taken at once when no eligible checker is online (the first checker, its provider and
// the subject's provider are excluded, so a one-checker network never has one), else once the
// deadline passes. A sampled re-execution (a job's earnings wait on it) is taken after
// POR_CHECK_DEADLINE_MS. The platform belongs to no provider, so it is independent of all
// of them; it is paid nothing (checker rewards go to checkers by the checks they did).

/** Checks executed per tick: each costs real inference on the coordinator's machine. */
const MAX_CHECKS_PER_TICK = 2;
/** One item's inference (with a cold model load) may take this long before the check is left to expire. */
const ITEM_TIMEOUT_MS = 120_000;

export type PlatformExecute = (req: Omit<ExecuteRequest, "id">) => Promise<{ output: unknown; inferenceMs: number }>;

/** Runs items in a worker thread that lives for one tick (models load again next time: disputes are rare). */
class ExecutorThread {
  #worker: Worker | undefined;
  #next = 1;

  run(req: Omit<ExecuteRequest, "id">): Promise<{ output: unknown; inferenceMs: number }> {
    this.#worker ??= new Worker(new URL("./thread-entry.mjs", import.meta.url));
    const worker = this.#worker;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`platform re-execution of ${req.ref} timed out`)), ITEM_TIMEOUT_MS);
      const onMessage = (res: ExecuteResponse) => {
        if (res.id !== id) return;
        if (res.ok) done(null, { output: res.output, inferenceMs: res.inferenceMs });
        else done(new Error(res.error));
      };
      const onError = (err: Error) => done(err);
      function done(err: Error | null, value?: { output: unknown; inferenceMs: number }) {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        if (err) reject(err);
        else resolve(value as { output: unknown; inferenceMs: number });
      }
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage({ ...req, id } satisfies ExecuteRequest);
    });
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
    this.#worker = undefined;
  }
}

/**
 * Checks the platform should execute now, most urgent first: disputes past their deadline or
 * with no eligible independent checker online, then sampled re-executions past theirs.
 */
async function dueChecks(limit: number): Promise<{ id: string }[]> {
  const config = getPorConfig();
  return loadPlatformDueChecks(sql(), { disputeDeadlineMs: config.disputeDeadlineMs, checkDeadlineMs: config.checkDeadlineMs, limit });
}

/** Claims a queued check for the platform: leased with no checker node, the attempt bumped (fencing). */
async function claim(id: string): Promise<CheckRow | null> {
  const claimed = await claimCheckForPlatform(sql(), { id, leaseMs: getPorConfig().checkLeaseMs });
  if (!claimed) return null;
  return loadCheck(sql(), id);
}

/**
 * One tick of the executor of last resort (coordinator). `execute` is the platform's own
 * inference by default; returns the checks it settled.
 */
export async function runLastResort(opts: { execute?: PlatformExecute } = {}): Promise<number> {
  if (!getPorConfig().lastResort) return 0;
  const due = await dueChecks(MAX_CHECKS_PER_TICK);
  if (due.length === 0) return 0;
  const thread = opts.execute ? null : new ExecutorThread();
  const execute: PlatformExecute = opts.execute ?? ((req) => (thread as ExecutorThread).run(req));
  let settled = 0;
  try {
    for (const d of due) {
      const check = await claim(d.id);
      if (!check) continue;
      try {
        const task = await checkItems(sql(), check);
        const verdicts: ItemVerdict[] = [];
        for (const item of task.items) {
          // Fetched (from an S3 store, into a local file) before the clock starts: t0 times the run.
          const custom = item.custom ? await customRunOf(item.custom) : undefined;
          const t0 = Date.now();
          const mine = await execute({
            ref: item.ref,
            slug: item.modelSlug,
            input: item.input,
            seed: item.seed,
            generator: item.generator,
            ...(custom ? { custom } : {}),
          });
          const cmp = compareModelOutputs({ slug: item.modelSlug, a: mine.output, b: item.output, custom: item.custom });
          verdicts.push({
            ref: item.ref,
            match: cmp.match,
            reason: cmp.reason,
            metrics: cmp.metrics,
            checkerOutput: mine.output,
            checkerOutputHash: hashJson(mine.output),
            inferenceMs: Math.round((mine.inferenceMs || Date.now() - t0) * 1000) / 1000,
          });
        }
        const outcome = await sqlTransaction(async (tx) => {
          const locked = await loadCheck(tx, check.id, true);
          // Still ours: leased to no checker at our attempt (a sweep may have handed it on).
          if (!locked || locked.status !== "leased" || locked.checker_node_id !== null || locked.attempt !== check.attempt) return null;
          return applyPlatformVerdicts(tx, locked, verdicts, itemComparer(task.items));
        });
        if (outcome) settled++;
        logger.warn(
          { checkId: check.id, kind: check.kind, subject: check.subject_node_id, outcome: outcome ?? "lease lost" },
          "executor of last resort: check executed by the platform",
        );
      } catch (err) {
        // Left leased: its lease expires and it is queued again (for a checker or the next tick).
        logger.error({ err, checkId: check.id }, "executor of last resort failed on a check");
      }
    }
  } finally {
    await thread?.close();
  }
  return settled;
}

/** An uploaded model's file in the platform's own store (issue 17), with the signature it runs by. */
async function customRunOf(custom: CustomModelRun): Promise<NonNullable<ExecuteRequest["custom"]>> {
  const path = await modelStore().localFile(custom.modelId);
  if (!path) throw new Error(`custom model ${custom.modelId} is not in the model store`);
  return { id: custom.modelId, path, signature: custom.signature };
}
