import { applyDeferredBalances, lockAccounts, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { GroupCommit } from "@proofgrid/db/group-commit";
import {
  type CompleteJobReply,
  type CompleteJobRequest,
  type CountersignedReceipt,
  countersignReceipt,
  hashJson,
  splitReward,
  verifyReceipt,
} from "@proofgrid/por";
import { countJobInputItems, lockJobForCompletion, storeLeasedJobResult, updateJobPrice } from "@proofgrid/db/nodes/job-completion";
import { type SqlClient, sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { observeCompletionGroup } from "../../metrics.ts";
import { checkModelOutput } from "@proofgrid/models/check-output";
import { AppError } from "../../errors.ts";
import { jobEvents } from "../../events/job-events.ts";
import { logger } from "../../logger.ts";
import type { NodeIdentity } from "./authenticate-node.ts";
import { getPlatformKey } from "./platform-key.ts";
import { priceForCost } from "../billing/pricing.ts";
import { nodeHeldCode } from "../verification/exposure.ts";
import { heldEarningOfSettlement } from "../verification/held-earnings.ts";
import { resolveModel } from "../models/resolve-model.ts";
import { loadCustomModelRun } from "../models/custom-model-run.ts";
import { checkCustomJobOutput } from "@proofgrid/models/custom/custom-job-io";
import { sampleForReexecution } from "../verification/sample-job.ts";
import { assertStorableJson } from "../../http/safe-text.ts";
import { enqueueJobWebhook } from "../webhooks/webhook-events.ts";
import { jobViewRowOf } from "@proofgrid/db/jobs";
import type { FinishedJobView } from "../../events/job-events.ts";

/** A completion that passed the checks made outside the database. */
interface Completion {
  node: NodeIdentity;
  request: CompleteJobRequest;
  outputHash: string;
}

/** What a completion's settlement moves, decided in its first phase. */
interface Settlement {
  jobId: string;
  nodeId: string;
  nodeOrgId: string;
  customerOrgId: string;
  workerShare: bigint;
  compute: bigint;
  legs: { code: string; amount: bigint }[];
  /** The customer has a webhook endpoint subscribed to job.succeeded (read with the result). */
  webhooks: boolean;
}

type Prepared =
  | { status: "already_completed"; receipt: CountersignedReceipt }
  | { status: "accepted"; receipt: CountersignedReceipt; settlement: Settlement; view: FinishedJobView | null };

/** A completion's answer, and what it hands the customer's waits in this process (never sent to the worker). */
type Completed = CompleteJobReply & { view?: FinishedJobView | null };

/** The system accounts every settlement credits: a group commit moves their balances once. */
const HOT_ACCOUNTS: readonly string[] = [SYSTEM_ACCOUNTS.checkerPool.code, SYSTEM_ACCOUNTS.protocolFee.code];

/**
 * Accepts a result only from the node holding the current attempt (the fencing token):
 * a worker whose lease expired and was re-leased gets 409 and is never paid. Storing the
 * result, countersigning the receipt and settling the hold into payments happen in one
 * transaction, and the settlement's idempotency key (`settle:<job>`) means a retried
 * completion cannot pay twice. Completions that arrive together share that transaction
 * (group commit, `completionGroup`); the answer is sent only once it has committed.
 */
export async function completeJob(opts: { node: NodeIdentity; request: CompleteJobRequest }): Promise<CompleteJobReply> {
  const { node, request } = opts;
  const { receipt } = request;
  assertStorableJson(request.output, "output");
  const outputHash = hashJson(request.output);
  if (receipt.jobId !== request.jobId || receipt.attempt !== request.attempt || receipt.nodeId !== node.id) {
    throw new AppError("BAD_REQUEST", "receipt does not match the job, attempt or node");
  }
  if (receipt.outputHash !== outputHash) throw new AppError("BAD_REQUEST", "receipt outputHash does not match the output");
  if (!verifyReceipt(receipt, node.publicKey)) throw new AppError("BAD_REQUEST", "receipt signature is invalid");
  await assertModelOutput(request.jobId, receipt.modelId, request.output);

  const completion: Completion = { node, request, outputHash };
  const { view, ...result } =
    getEnv().COMPLETION_GROUP_COMMIT === "1" ? await completionGroup().submit(completion) : await completeAlone(completion);
  logger.info({ jobId: request.jobId, nodeId: node.id, attempt: request.attempt, status: result.status }, "job completed");
  // A client waiting on this job in this process is woken now, committed, without waiting
  // for the trigger's NOTIFY to come back from Postgres (which still wakes the others), and
  // given the job as this transaction left it: its answer needs no read (issue 15).
  if (result.status === "accepted")
    jobEvents.deliverLocal({ id: request.jobId, state: "succeeded", node_id: node.id, view: view ?? undefined });
  return result;
}

/** One completion in a transaction of its own (COMPLETION_GROUP_COMMIT=0, and a failed group's items). */
async function completeAlone(c: Completion): Promise<Completed> {
  return sqlTransaction(async (tx) => {
    const p = await prepareCompletion(tx, c);
    if (p.status === "accepted") await settle(tx, p.settlement, []);
    return replyOf(p);
  });
}

const replyOf = (p: Prepared): Completed =>
  p.status === "accepted" ? { status: p.status, receipt: p.receipt, view: p.view } : { status: p.status, receipt: p.receipt };

const globalForGroup = globalThis as typeof globalThis & {
  __proofgridCompletionGroup?: GroupCommit<Completion, Prepared, Completed>;
};

/**
 * The process's group commit of completions. A group's first phase runs each completion's
 * checks, stores its result and decides its sampling (each in a savepoint, so a refused one
 * leaves the others), in node order: node rows are locked in one order by every group. The
 * second phase locks every account the group's settlements touch in one statement, by code
 * (the order every transfer takes them in), posts each settlement, and moves the checker
 * pool's and the protocol fee's balances once for the whole group. Every settlement credits
 * those two: one transaction per completion locked them from its settlement to its COMMIT,
 * so settlements queued on them one COMMIT after another; a group holds them for its
 * settlement phase and one COMMIT, and its first phase (the job, the node, the result, the
 * sampling) runs before it takes them.
 */
export function completionGroup(): GroupCommit<Completion, Prepared, Completed> {
  globalForGroup.__proofgridCompletionGroup ??= new GroupCommit<Completion, Prepared, Completed>({
    maxItems: () => getEnv().COMPLETION_GROUP_MAX,
    windowMs: () => getEnv().COMPLETION_GROUP_WINDOW_MS,
    // Node rows in one order (sampling locks them), and a node's jobs in one order too.
    orderKey: (c) => `${c.node.id}:${c.request.jobId}`,
    prepare: (tx, c) => prepareCompletion(tx, c),
    finish: async (tx, prepared) => {
      const settlements = prepared.flatMap((p) => (p.value.status === "accepted" ? [p.value.settlement] : []));
      const replies = prepared.map((p) => replyOf(p.value));
      const only = settlements.length === 1 ? settlements[0] : undefined;
      if (only) {
        // One settlement (a quiet network's every completion): posted as a lone completion
        // posts it, its transfer locking its accounts by code; nothing to defer or gather.
        await settle(tx, only, []);
        return replies;
      }
      // Every account the group's settlements touch, the hot ones included, locked in one
      // statement by code: the order every other transfer takes them in (checker_pool sorts
      // before node: and org: codes), so no cycle can form with those transfers or another group.
      await lockAccounts(
        tx,
        settlements.flatMap((s) => s.legs.map((l) => l.code)),
      );
      const deferred = new Map<string, bigint>();
      for (const s of settlements)
        for (const [code, amount] of await settle(tx, s, HOT_ACCOUNTS)) deferred.set(code, (deferred.get(code) ?? 0n) + amount);
      await applyDeferredBalances(tx, deferred);
      return replies;
    },
    alone: completeAlone,
    onGroup: (size, ms) => {
      observeCompletionGroup(size);
      if (size > 1) logger.info({ size, ms: Math.round(ms * 10) / 10 }, "completions settled in one group commit");
    },
  });
  return globalForGroup.__proofgridCompletionGroup;
}

/**
 * A completion's first phase, in its transaction: countersign, store the result if the
 * fencing token and the receipt match the job (locking it), decide its sampling, and
 * compute the settlement. Throws an AppError to refuse it.
 */
async function prepareCompletion(tx: SqlClient, c: Completion): Promise<Prepared> {
  const { node, request, outputHash } = c;
  const { receipt } = request;
  // The receipt is countersigned first (it reads nothing of the job), so that the result is
  // stored by the statement that checks the lease: the fencing token, the node, and the model
  // and input the receipt names (one round trip, issue 15). Stored nothing: the row says why.
  const countersigned = countersignReceipt(receipt, getPlatformKey().privateKey);
  const job = await storeLeasedJobResult(tx, {
    jobId: request.jobId,
    attempt: request.attempt,
    nodeId: node.id,
    modelId: receipt.modelId,
    inputHash: receipt.inputHash,
    outputHash,
    receipt: countersigned,
    output: request.output,
    inferenceMs: receipt.inferenceMs,
    // A customer waits on it in this process: the statement answers the view it will be handed.
    withView: jobEvents.waitsOn(request.jobId),
  });
  if (!job) return refusedCompletion(tx, c);

  // The hold was priced at the customer's cap; the charge is the cost at the worker's ask
  // fixed at assignment (0 on a reserved worker: the reservation is billed by the hour),
  // and the difference goes back to the customer in the same transfer.
  // An uploaded model's royalty was held on top of the compute and goes to the model's owner
  // whole: the worker, checkers and protocol split the compute only.
  const held = BigInt(job.price);
  const royalty = BigInt(job.royalty);
  const heldCompute = held - royalty;
  const compute = job.unit_price === null ? heldCompute : minBig(heldCompute, priceForCost(job.cost_milli_cu, BigInt(job.unit_price)));
  const charge = compute + royalty;
  const split = splitReward(compute);
  // Sampling is decided after the result is stored, in the same transaction: the worker
  // has committed to its output and cannot learn the decision first. It comes before the
  // settlement so the node row is locked before ledger accounts, in the order a check
  // report takes them. Its rate rises with the payout against what a slash could take.
  const sampled = await sampleForReexecution(
    tx,
    {
      jobId: job.id,
      nodeId: node.id,
      orgId: node.orgId,
      modelId: job.model_id,
      purpose: job.purpose,
      payout: split.worker,
    },
    job.node,
  );
  if (charge !== held) await updateJobPrice(tx, { jobId: job.id, price: charge });
  // The worker's payout is held on its node until the job's verification window closes
  // (verification/held-earnings.ts releases it, or a fraud verdict claws it back). System
  // accounts come from a migration and a node's at registration: settlement creates nothing.
  const legs = [
    { code: orgAccountCode(job.org_id, "held"), amount: -held },
    { code: orgAccountCode(job.org_id, "available"), amount: held - charge },
    { code: nodeHeldCode(node.id), amount: split.worker },
    { code: SYSTEM_ACCOUNTS.checkerPool.code, amount: split.checkers },
    { code: SYSTEM_ACCOUNTS.protocolFee.code, amount: split.protocol },
    // The owner's earnings account exists from the upload or royalty change that set it
    // (register-model, update-model), and ledger accounts are never deleted.
    ...(royalty > 0n && job.royalty_org_id ? [{ code: orgAccountCode(job.royalty_org_id, "earnings"), amount: royalty }] : []),
  ].filter((l) => l.amount !== 0n);
  return {
    status: "accepted",
    receipt: countersigned,
    // The customer's view as this transaction leaves it: the store's row with the charge and
    // the sampling's verification (what the statements after the store change of the job).
    view: job.view
      ? {
          orgId: job.org_id,
          row: jobViewRowOf({ ...job.view, price: charge.toString(), verification: sampled ? "pending" : job.view.verification }),
        }
      : null,
    settlement: {
      jobId: job.id,
      nodeId: node.id,
      nodeOrgId: node.orgId,
      customerOrgId: job.org_id,
      workerShare: split.worker,
      compute,
      legs,
      webhooks: job.webhooks,
    },
  };
}

/**
 * Why a completion stored nothing, from the job's row (locked): a retry of the result already
 * stored is answered with its countersigned receipt; anything else is refused.
 */
async function refusedCompletion(tx: SqlClient, c: Completion): Promise<Prepared> {
  const { node, request, outputHash } = c;
  const { receipt } = request;
  const job = await lockJobForCompletion(tx, { jobId: request.jobId });
  if (!job) throw new AppError("NOT_FOUND", "job not found");
  if (job.state === "succeeded" && job.attempt === request.attempt && job.node_id === node.id && job.output_hash === outputHash) {
    // Stored by the accepted path: the countersigned receipt.
    return { status: "already_completed", receipt: job.receipt as CountersignedReceipt };
  }
  if (job.state !== "running" || job.node_id !== node.id || job.attempt !== request.attempt) {
    throw new AppError("CONFLICT", `lease lost: job is ${job.state} at attempt ${job.attempt}`, {
      state: job.state,
      attempt: job.attempt,
    });
  }
  if (receipt.modelId !== job.model_id || receipt.inputHash !== job.input_hash) {
    throw new AppError("BAD_REQUEST", "receipt model or input hash does not match the job");
  }
  // The lease held at this read: the store lost a race the row no longer shows. Refused
  // retryably; the worker sends it again.
  throw new AppError("UNAVAILABLE", "the result could not be stored: try again");
}

/**
 * A completion's second phase: posts its settlement (balances of `defer` left to the
 * caller, returned), holds the worker's payout, and queues the customer's webhook.
 */
async function settle(tx: SqlClient, s: Settlement, defer: readonly string[]): Promise<Map<string, bigint>> {
  let deferred = new Map<string, bigint>();
  if (s.legs.length >= 2) {
    const posted = await postTransfer(tx, {
      idempotencyKey: `settle:${s.jobId}`,
      kind: "settle",
      jobId: s.jobId,
      legs: s.legs,
      deferBalances: defer,
      // The worker's payout, held in the transfer's statement (only if it is posted now).
      also:
        s.workerShare > 0n
          ? heldEarningOfSettlement({ jobId: s.jobId, nodeId: s.nodeId, orgId: s.nodeOrgId, amount: s.workerShare, charge: s.compute })
          : undefined,
    });
    deferred = posted.deferred ?? deferred;
  }
  // Last, so the event carries the job as committed (its final price): in this transaction.
  if (s.webhooks) await enqueueJobWebhook(tx, { orgId: s.customerOrgId, jobId: s.jobId, type: "job.succeeded" });
  return deferred;
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * A result must be one the job's model can produce (its bounded output schema, and one
 * vector per input text): anything else is a 400 that stores, signs and pays nothing, and
 * the job stays with its lease (issue 11 finding 6). The model comes from the receipt, which
 * the transaction then checks against the job; an unknown one is left to that check.
 */
async function assertModelOutput(jobId: string, modelId: string, output: unknown): Promise<void> {
  // An uploaded model (issue 17), public or private: its outputs as its signature declares them.
  const custom = await loadCustomModelRun(modelId);
  if (custom) {
    const problem = checkCustomJobOutput(custom.signature, output);
    if (problem) {
      logger.warn({ jobId, modelId, problem }, "completion refused: output is not the model's");
      throw new AppError("BAD_REQUEST", `output is not a result of custom model ${modelId.slice(0, 12)}: ${problem}`);
    }
    return;
  }
  const model = await resolveModel(modelId).catch(() => null);
  if (!model) return;
  let items: number | undefined;
  if (model.kind === "embedding") {
    items = (await countJobInputItems(sql(), { jobId })) ?? undefined;
  }
  const problem = checkModelOutput(model.slug, output, { items });
  if (problem) {
    logger.warn({ jobId, model: model.slug, problem }, "completion refused: output is not the model's");
    throw new AppError("BAD_REQUEST", `output is not a result of ${model.slug}: ${problem}`);
  }
}
