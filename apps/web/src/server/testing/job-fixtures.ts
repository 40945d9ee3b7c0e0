// For integration tests of a job's life (submit, dispatch, lease, hand back, complete): catalog
// models, registered workers, an organisation's balances, a job as stored, and a worker's
// signed completion through the real service. Needs the file's database (setupServiceDatabase):
// call these from a hook or a test, and setupEncoderMarket (which registers hooks) at the top of the file.
import { randomBytes } from "node:crypto";
import { getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { type CompleteJobReply, type CompleteJobRequest, generateNodeKeyPair, hashJson, signReceipt } from "@proofgrid/por";
import { beforeAll, beforeEach, expect } from "vitest";
import { db } from "../db.ts";
import { AppError } from "../errors.ts";
import type { NodeIdentity } from "../services/nodes/authenticate-node.ts";
import { completeJob } from "../services/nodes/complete-job.ts";
import { cancelJob } from "../services/jobs/cancel-job.ts";
import { submitJob } from "../services/jobs/submit-job.ts";
import { ensureNodeAccounts } from "../services/verification/stake.ts";
import { createOrg } from "./service-database.ts";

/** Built-in slugs: submitJob checks an input against the model its slug names. */
export const ENCODER = "encoder-synthetic-minilm";
export const OCR = "ocr-ppocr-v4";

/** A catalog row for a built-in model under a made-up sha256 id (no model files needed); returns the id. */
export async function createModel(slug: typeof ENCODER | typeof OCR): Promise<string> {
  const id = randomBytes(32).toString("hex");
  await db().model.create({
    data: { id, slug, name: slug, kind: slug === ENCODER ? "embedding" : "ocr", description: "test", signature: {}, baseCostMilliCu: 10 },
  });
  return id;
}

export interface EncoderMarket {
  /** The encoder's catalog id. */
  readonly modelId: string;
  /** A customer organisation with 1,000 tokens. */
  readonly customer: string;
  /** A provider organisation with none, for the test's workers. */
  readonly provider: string;
  /** The customer's encoder job of one text, or of several (`texts`), through the real service; returns its id. */
  submit(text: string | string[]): Promise<string>;
  /** A worker of the provider's serving the encoder (createWorker, these options aside). */
  worker(opts?: Omit<CreateWorkerOptions, "orgId" | "models">): Promise<TestWorker>;
}

/**
 * What a test of one job's life starts from: registers a beforeAll that creates the encoder
 * model, a funded customer and a provider, and a beforeEach that resets the market
 * (resetMarket), so each test starts with no online worker and no open job. Call it after
 * setupServiceDatabase, whose beforeAll makes the database; read it from a hook or a test.
 */
export function setupEncoderMarket(): EncoderMarket {
  let made: { modelId: string; customer: string; provider: string } | undefined;
  beforeAll(async () => {
    made = {
      modelId: await createModel(ENCODER),
      customer: await createOrg("customer", "customer", 1_000_000_000n),
      provider: await createOrg("provider", "provider"),
    };
  });
  beforeEach(resetMarket);

  const market = () => {
    if (!made) throw new Error("setupEncoderMarket: the market is made in beforeAll; read it from a hook or a test");
    return made;
  };
  return {
    get modelId() {
      return market().modelId;
    },
    get customer() {
      return market().customer;
    },
    get provider() {
      return market().provider;
    },
    async submit(text) {
      const input = typeof text === "string" ? { text } : { texts: text };
      return (await submitJob({ orgId: market().customer, request: { model: ENCODER, input } })).id;
    },
    worker(opts = {}) {
      return createWorker({ ...opts, orgId: market().provider, models: [market().modelId] });
    },
  };
}

/** The AppError a refused call throws; a call that succeeds or throws anything else fails the test. */
export async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

export interface TestWorker {
  identity: NodeIdentity;
  privateKey: string;
}

export interface CreateWorkerOptions {
  orgId: string;
  /** Model ids it serves. */
  models: string[];
  maxConcurrency?: number;
  status?: "online" | "offline" | "quarantined";
  admission?: "pending" | "passed" | "derated" | "refused";
  /** Drained by its provider: takes no new work. */
  paused?: boolean;
  /** Runs customers' uploaded models (issue 17). */
  acceptsCustomModels?: boolean;
}

/** A registered worker node (as register-node.ts leaves one, admitted by default) with its ledger accounts. */
export async function createWorker(opts: CreateWorkerOptions): Promise<TestWorker> {
  const keys = generateNodeKeyPair();
  const status = opts.status ?? "online";
  const row = await db().node.create({
    data: {
      orgId: opts.orgId,
      name: `w-${randomBytes(3).toString("hex")}`,
      publicKey: keys.publicKey,
      region: "local",
      status,
      admission: opts.admission ?? "passed",
      models: opts.models,
      maxConcurrency: opts.maxConcurrency ?? 1,
      claimedCuPerHour: 3600,
      cuPerHour: 3600,
      lastSeenAt: new Date(),
      pausedAt: opts.paused ? new Date() : null,
      acceptsCustomModels: opts.acceptsCustomModels ?? false,
    },
    select: { id: true },
  });
  await sqlTransaction((tx) => ensureNodeAccounts(tx, { id: row.id, orgId: opts.orgId }));
  return {
    identity: {
      id: row.id,
      orgId: opts.orgId,
      role: "worker",
      status,
      models: opts.models,
      acceptsCustomModels: opts.acceptsCustomModels ?? false,
      maxConcurrency: opts.maxConcurrency ?? 1,
      region: "local",
      publicKey: keys.publicKey,
      cuPerHour: 3600,
      priorityFactor: 1,
    },
    privateKey: keys.privateKey,
  };
}

/** Open jobs a test leaves behind are few; the bound keeps a runaway one from hanging the next. */
const MAX_OPEN_JOBS_RESET = 1_000;

/**
 * Each test its own market: the workers of earlier tests go offline and their open jobs are
 * canceled by their owners (cancelJob, which releases each hold).
 */
export async function resetMarket(): Promise<void> {
  await db().node.updateMany({ data: { status: "offline" } });
  const open = await db().job.findMany({
    where: { state: { in: ["queued", "assigned", "running"] } },
    select: { id: true, orgId: true },
    take: MAX_OPEN_JOBS_RESET,
  });
  for (const j of open) await cancelJob({ orgId: j.orgId, jobId: j.id });
}

export interface OrgBalances {
  available: bigint;
  held: bigint;
}

export async function orgBalances(orgId: string): Promise<OrgBalances> {
  const codes = [orgAccountCode(orgId, "available"), orgAccountCode(orgId, "held")] as const;
  const b = await getBalances(sql(), codes);
  return { available: b.get(codes[0]) ?? 0n, held: b.get(codes[1]) ?? 0n };
}

/** A job as stored, with what the lease and hand-back paths change. */
export function jobRow(id: string) {
  return db().job.findUniqueOrThrow({
    where: { id },
    select: {
      state: true,
      attempt: true,
      maxAttempts: true,
      nodeId: true,
      leaseExpiresAt: true,
      startedAt: true,
      assignedAt: true,
      price: true,
      error: true,
      orgId: true,
      modelId: true,
      inputHash: true,
      payload: { select: { input: true, output: true } },
      attempts: { select: { attempt: true, nodeId: true, outcome: true }, orderBy: { attempt: "asc" } },
    },
  });
}

/** A valid result of the encoder for `texts` texts: one 384-dimension vector each. */
export function encoderOutput(texts: number): { dim: number; vectors: number[][] } {
  return { dim: 384, vectors: Array.from({ length: texts }, (_, k) => Array.from({ length: 384 }, (_, i) => Math.sin(k + i) / 10)) };
}

/** The worker's signed completion of `attempt` of the job, through the real service. */
export async function completeAs(worker: TestWorker, job: { id: string; attempt: number }, output: unknown): Promise<CompleteJobReply> {
  return completeJob({ node: worker.identity, request: await completionOf(worker, job, output) });
}

/** What `worker` sends when it finishes `job` with `output`: the output and its signed receipt. */
export async function completionOf(worker: TestWorker, job: { id: string; attempt: number }, output: unknown): Promise<CompleteJobRequest> {
  const row = await jobRow(job.id);
  const now = new Date().toISOString();
  const receipt = signReceipt(
    {
      v: 1,
      jobId: job.id,
      attempt: job.attempt,
      modelId: row.modelId,
      inputHash: row.inputHash,
      outputHash: hashJson(output),
      startedAt: now,
      finishedAt: now,
      inferenceMs: 3,
      nodeId: worker.identity.id,
    },
    worker.privateKey,
  );
  return { jobId: job.id, attempt: job.attempt, output, receipt };
}

/** The kinds of the ledger transfers recorded against the job (hold, settle, release), sorted. */
export async function transfersOf(jobId: string): Promise<string[]> {
  const rows = await db().ledgerTransfer.findMany({ where: { jobId }, select: { kind: true } });
  return rows.map((r) => r.kind).sort();
}
