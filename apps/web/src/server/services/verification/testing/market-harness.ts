import { createHash, randomBytes } from "node:crypto";
import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import {
  insertHarnessNode,
  loadHarnessCheckKind,
  loadHarnessJobInput,
  loadHarnessJobRow,
  loadHarnessNodeIdentity,
  sumHarnessOrgHoldings,
} from "@proofgrid/db/stakes/testing/market-harness-rows";
import { insertNodeCheckerLicence } from "@proofgrid/db/standing/checker-licences";
import { generateNodeKeyPair, hashJson, type LeasedJob, signCheckReport, signReceipt } from "@proofgrid/por";
import { Dispatcher } from "../../dispatch/dispatcher.ts";
import { submitJob } from "../../jobs/submit-job.ts";
import { syncBuiltinCatalog } from "../../models/sync-catalog.ts";
import type { NodeIdentity } from "../../nodes/authenticate-node.ts";
import { completeJob } from "../../nodes/complete-job.ts";
import { leaseJob } from "../../nodes/lease-job.ts";
import { leaseCheck } from "../check-tasks.ts";
import { reportCheck } from "../report-check.ts";
import { ensureNodeAccounts } from "../stake.ts";

// A marketplace driven in process through the real services against a real Postgres: jobs
// submitted, placed by the real dispatcher, leased and completed with signed receipts,
// re-executed by checkers whose reports go through the real report path, and settled in the
// real ledger. Only the model is stood in for: an encoder job's "right" output is a vector
// derived from its input (`truth`); an honest node returns it, a cheat returns another. The
// ledger, which is what these tests are about, never sees the difference.

export const ENCODER = "encoder-synthetic-minilm";

/** The stand-in for inference: a unit-ish vector per input, far from any other input's. */
export function truth(input: unknown): { dim: number; vectors: number[][] } {
  const seed = createHash("sha256").update(JSON.stringify(input)).digest();
  const v = Array.from({ length: 384 }, (_, i) => ((seed[i % 32] as number) - 128) / 128 + (i % 7) / 100);
  return { dim: 384, vectors: [v] };
}

/** A wrong output: another input's vector. */
export function fake(input: unknown): { dim: number; vectors: number[][] } {
  return truth({ fake: input });
}

export interface TestNode {
  identity: NodeIdentity;
  privateKey: string;
}

export { createOrg } from "../../../testing/service-database.ts";

let models: { slug: string; id: string }[] | undefined;

export async function catalog(): Promise<{ slug: string; id: string }[]> {
  models ??= await syncBuiltinCatalog();
  return models;
}

export async function encoderId(): Promise<string> {
  const m = (await catalog()).find((x) => x.slug === ENCODER);
  if (!m) throw new Error("no encoder in the catalog");
  return m.id;
}

/** A registered node (as register-node.ts makes one, without the HTTP round trip). */
export async function createNode(
  orgId: string,
  opts: { role?: "worker" | "checker"; ask?: bigint; name?: string; licence?: boolean } = {},
): Promise<TestNode> {
  const keys = generateNodeKeyPair();
  const role = opts.role ?? "worker";
  const model = await encoderId();
  const name = opts.name ?? `n-${randomBytes(3).toString("hex")}`;
  const node = { orgId, name, role, publicKey: keys.publicKey, models: [model], ask: opts.ask ?? null };
  const id = (await insertHarnessNode(sql(), node)) as string;
  await sqlTransaction((tx) => ensureNodeAccounts(tx, { id, orgId }));
  if (role === "checker") {
    await insertNodeCheckerLicence(sql(), { orgId, nodeId: id });
  }
  return { identity: await identityOf(id), privateKey: keys.privateKey };
}

export async function identityOf(nodeId: string): Promise<NodeIdentity> {
  const r = await loadHarnessNodeIdentity(sql(), { nodeId });
  if (!r) throw new Error(`no node ${nodeId}`);
  return {
    id: r.id,
    orgId: r.org_id,
    role: r.role,
    status: r.status,
    models: r.models,
    acceptsCustomModels: r.accepts_custom_models,
    maxConcurrency: r.max_concurrency,
    region: r.region,
    publicKey: r.public_key,
    cuPerHour: r.cu_per_hour,
    priorityFactor: r.priority_factor,
  };
}

export async function submit(orgId: string, text: string, maxPricePerCu?: bigint): Promise<string> {
  const job = await submitJob({ orgId, request: { model: ENCODER, input: { text }, maxPricePerCu } });
  return job.id;
}

const dispatcher = new Dispatcher();

/** One dispatcher round (the coordinator runs these continuously). */
export async function dispatch(): Promise<number> {
  return (await dispatcher.tick()).placed;
}

/** The node leases what was offered to it, and completes it honestly or not. */
export async function work(node: TestNode, honest: boolean): Promise<LeasedJob | null> {
  const identity = await identityOf(node.identity.id);
  const job = await leaseJob({ node: identity, waitMs: 0 });
  if (!job) return null;
  const output = honest ? truth(job.input) : fake(job.input);
  const now = new Date().toISOString();
  const receipt = signReceipt(
    {
      v: 1,
      jobId: job.jobId,
      attempt: job.attempt,
      modelId: job.modelId,
      inputHash: hashJson(job.input),
      outputHash: hashJson(output),
      startedAt: now,
      finishedAt: now,
      inferenceMs: 5,
      nodeId: identity.id,
    },
    node.privateKey,
  );
  await completeJob({ node: identity, request: { jobId: job.jobId, attempt: job.attempt, output, receipt } });
  return job;
}

/**
 * The checker leases one check and reports on it: honest, it reports the right output;
 * colluding, it echoes the subject's output (and so approves it).
 */
export async function check(checker: TestNode, honest: boolean): Promise<{ kind: string; status: string } | null> {
  const identity = await identityOf(checker.identity.id);
  const task = await leaseCheck({ node: identity, waitMs: 0 });
  if (!task) return null;
  const items = await Promise.all(
    task.items.map(async (item) => {
      const input = item.input ?? (await loadHarnessJobInput(sql(), { jobId: item.ref }));
      const output = honest ? truth(input) : item.output;
      return {
        ref: item.ref,
        match: hashJson(output) === hashJson(item.output),
        reason: "",
        metrics: {},
        output,
        outputHash: hashJson(output),
        inferenceMs: 5,
      };
    }),
  );
  // The claimed match must follow from the outputs as por compares them: recompute it.
  const { compareJobOutputs } = await import("@proofgrid/por");
  for (const i of items) i.match = compareJobOutputs("embedding", i.output, task.items.find((t) => t.ref === i.ref)?.output).match;
  const report = signCheckReport({ checkId: task.checkId, attempt: task.attempt, items }, checker.privateKey);
  const res = await reportCheck({ node: identity, report });
  const kind = (await loadHarnessCheckKind(sql(), { checkId: task.checkId })) ?? "?";
  return { kind, status: res.status };
}

/** Every account an organisation owns (its own and its nodes'), summed: what it has. */
export async function holdings(orgId: string): Promise<bigint> {
  return BigInt((await sumHarnessOrgHoldings(sql(), { orgId })) ?? 0n);
}

export async function balanceOf(code: string): Promise<bigint> {
  return (await getBalances(sql(), [code])).get(code) ?? 0n;
}

export const available = (orgId: string) => balanceOf(orgAccountCode(orgId, "available"));

export async function ledgerOk(): Promise<void> {
  const c = await checkLedger(sql());
  if (!c.ok) throw new Error(`ledger check failed: ${JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
}

export async function jobRow(id: string) {
  const r = await loadHarnessJobRow(sql(), { jobId: id });
  if (!r) throw new Error(`no job ${id}`);
  return { ...r, price: BigInt(r.price), refunded: r.refunded_amount === null ? null : BigInt(r.refunded_amount) };
}
