import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { generateNodeKeyPair, hashJson, signReceipt } from "@proofgrid/por";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { submitJob } from "../jobs/submit-job.ts";
import { ensureNodeAccounts } from "../verification/stake.ts";
import type { NodeIdentity } from "./authenticate-node.ts";
import { completeJob } from "./complete-job.ts";

// Issue 11 finding 6: a worker's completion is checked against the model's output before it
// is stored, countersigned or paid. A padded or malformed result is a 400 that changes
// nothing (the job keeps its lease, no money moves); a real result of the model is paid.

let customer: string;
let node: NodeIdentity;
let nodeKey: string;
const ENCODER = "encoder-synthetic-minilm";
let encoderId: string;

const db = setupServiceDatabase({ name: "complete" });

beforeAll(async () => {
  encoderId = "ef".repeat(32);
  await db.t.prisma.model.create({
    data: { id: encoderId, slug: ENCODER, name: "encoder", kind: "embedding", description: "test", signature: {}, baseCostMilliCu: 10 },
  });
  customer = await createOrg("customer", "customer");
  const provider = await createOrg("provider", "provider");
  await grantCredits({ orgId: customer, amount: 1_000_000_000n, idempotencyKey: "funds", memo: "test" });
  const keys = generateNodeKeyPair();
  nodeKey = keys.privateKey;
  const row = await db.t.prisma.node.create({
    data: {
      orgId: provider,
      name: "w",
      publicKey: keys.publicKey,
      region: "local",
      models: [encoderId],
      claimedCuPerHour: 3600,
      cuPerHour: 3600,
    },
    select: { id: true },
  });
  node = {
    id: row.id,
    orgId: provider,
    role: "worker",
    status: "online",
    models: [encoderId],
    maxConcurrency: 1,
    region: "local",
    publicKey: keys.publicKey,
    cuPerHour: 3600,
    priorityFactor: 1,
  };
  await sqlTransaction((tx) => ensureNodeAccounts(tx, { id: node.id, orgId: node.orgId }));
});

/** A submitted job of `texts`, leased to the node as the dispatcher and the lease would. */
async function runningJob(texts: string[]): Promise<{ id: string; attempt: number; inputHash: string }> {
  const input = texts.length === 1 ? { text: texts[0] } : { texts };
  const job = await submitJob({ orgId: customer, apiKeyId: null, request: { model: ENCODER, input } });
  await sql().$executeRaw`
    UPDATE jobs SET state = 'running', node_id = ${node.id}::uuid, attempt = attempt + 1, unit_price = NULL,
      lease_expires_at = now() + interval '1 minute', started_at = now()
    WHERE id = ${job.id}::uuid`;
  const rows = await sql().$queryRaw<
    { attempt: number; input_hash: string }[]
  >`SELECT attempt, input_hash FROM jobs WHERE id = ${job.id}::uuid`;
  return { id: job.id, attempt: rows[0]?.attempt ?? 0, inputHash: rows[0]?.input_hash ?? "" };
}

function complete(job: { id: string; attempt: number; inputHash: string }, output: unknown) {
  const now = new Date().toISOString();
  const receipt = signReceipt(
    {
      v: 1,
      jobId: job.id,
      attempt: job.attempt,
      modelId: encoderId,
      inputHash: job.inputHash,
      outputHash: hashJson(output),
      startedAt: now,
      finishedAt: now,
      inferenceMs: 3,
      nodeId: node.id,
    },
    nodeKey,
  );
  return completeJob({ node, request: { jobId: job.id, attempt: job.attempt, output, receipt } });
}

const vector = (seed: number) => Array.from({ length: 384 }, (_, i) => Math.sin(seed + i) / 10);
const money = async () => {
  const codes = [orgAccountCode(customer, "available"), orgAccountCode(customer, "held"), orgAccountCode(node.orgId, "earnings")];
  const b = await getBalances(sql(), codes);
  return codes.map((c) => (b.get(c) ?? 0n).toString());
};

describe("a completion whose output is not the model's", () => {
  const junk: [string, (texts: number) => unknown][] = [
    ["padded with an extra field (the 8 MiB attack, smaller)", () => ({ dim: 384, vectors: [vector(1)], pad: "x".repeat(100_000) })],
    ["a vector of the wrong size", () => ({ dim: 384, vectors: [vector(1).slice(0, 100)] })],
    ["too few vectors for its texts", () => ({ dim: 384, vectors: [vector(1)] })],
    ["too many vectors for its texts", (n) => ({ dim: 384, vectors: Array.from({ length: n + 1 }, (_, i) => vector(i)) })],
    ["a number that is not a number", () => ({ dim: 384, vectors: [[...vector(1).slice(0, 383), "0.1"]] })],
    ["another model's output", () => ({ lines: [], width: 10, height: 10 })],
    ["nothing", () => null],
  ];
  for (const [what, make] of junk) {
    it(`is refused with a 400 that stores and pays nothing: ${what}`, async () => {
      const texts = ["one text", "and another"];
      const job = await runningJob(texts);
      const before = await money();
      const err = await complete(job, make(texts.length)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("BAD_REQUEST");
      expect((err as AppError).message).toMatch(/output is not a result of encoder-synthetic-minilm/);
      const rows = await sql().$queryRaw<{ state: string; receipt: unknown; output: unknown }[]>`
        SELECT j.state::text AS state, j.receipt, p.output FROM jobs j JOIN job_payloads p ON p.job_id = j.id WHERE j.id = ${job.id}::uuid`;
      expect(rows[0]).toEqual({ state: "running", receipt: null, output: null });
      expect(await money()).toEqual(before);
    });
  }

  it("a real result of the model (one vector per text) is accepted and paid once", async () => {
    const job = await runningJob(["first", "second", "third"]);
    const before = await money();
    const output = { dim: 384, vectors: [vector(1), vector(2), vector(3)] };
    expect((await complete(job, output)).status).toBe("accepted");
    expect((await complete(job, output)).status).toBe("already_completed");
    const after = await money();
    expect(BigInt(after[1] ?? 0) < BigInt(before[1] ?? 0)).toBe(true); // the hold settled
    expect((await checkLedger(sql())).ok).toBe(true);
    // A single text is one vector.
    const single = await runningJob(["only"]);
    expect((await complete(single, { dim: 384, vectors: [vector(9)] })).status).toBe("accepted");
  });
});
