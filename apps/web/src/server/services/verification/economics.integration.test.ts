import { sql } from "@proofgrid/db/sql-client";
import { samplingValue, splitReward } from "@proofgrid/por";
import { beforeEach, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { getNodeDiagnostics } from "../market/diagnostics.ts";
import { nodeStakeStatus } from "./exposure.ts";
import { advanceFraudCases } from "./fraud.ts";
import { releaseHeldEarnings } from "./held-earnings.ts";
import { runLastResort } from "./last-resort/last-resort.ts";
import { samplingSecret } from "./por-config.ts";
import { requestUnbond, stakeNode } from "./stake.ts";
import {
  available,
  balanceOf,
  check,
  createNode,
  createOrg,
  dispatch,
  holdings,
  identityOf,
  jobRow,
  ledgerOk,
  submit,
  type TestNode,
  truth,
  work,
} from "./testing/market-harness.ts";
import { resetEnvCache } from "../../env.ts";

// The economics of Proof of Render against a real Postgres, through the real services: the
// starter tier, exposure-bounded stake, held earnings and their release, fraud cases with
// clawback, slash, refunds from the cheater's money only, audit back, and the executor of
// last resort. (market-harness.ts says what is real and what stands in for the model.)

const T = 1_000_000n;

const ENV = {
  POR_CHALLENGES: "0",
  POR_VERIFICATION_WINDOW_MS: "0",
  POR_REEXEC_FLOOR: "0.5",
  POR_REEXEC_CAP: "0.5",
  POR_PLANTED_RATE: "0",
  POR_DISPUTE_DEADLINE_MS: "600000",
  PRICE_PER_CU_BASE_UNITS: "50000",
};

setupServiceDatabase({ name: "economics", env: ENV });
beforeEach(async () => {
  Object.assign(process.env, ENV);
  resetEnvCache();
  // Each test is its own market: earlier tests' nodes go offline, their queues are emptied.
  await sql().$executeRaw`UPDATE nodes SET status = 'offline'`;
  await sql().$executeRaw`UPDATE jobs SET state = 'canceled', finished_at = now() WHERE state IN ('queued', 'assigned', 'running')`;
  await sql().$executeRaw`UPDATE checks SET status = 'canceled' WHERE status IN ('queued', 'leased', 'waiting')`;
});

/** Runs dispatch rounds and the node's lease until it has completed `n` jobs (or nothing is left for it). */
async function runJobs(node: TestNode, n: number, honest = true): Promise<string[]> {
  const done: string[] = [];
  for (let i = 0; i < n * 3 && done.length < n; i++) {
    await dispatch();
    const job = await work(node, honest);
    if (job) done.push(job.jobId);
  }
  return done;
}

async function checkersFor(tag: string): Promise<[TestNode, TestNode]> {
  const a = await createOrg(`checkers-a-${tag}`, "provider", 10_000n * T);
  const b = await createOrg(`checkers-b-${tag}`, "provider", 10_000n * T);
  const ca = await createNode(a, { role: "checker" });
  const cb = await createNode(b, { role: "checker" });
  await stakeNode({ orgId: a, nodeId: ca.identity.id, amount: 3_000n * T });
  await stakeNode({ orgId: b, nodeId: cb.identity.id, amount: 3_000n * T });
  return [ca, cb];
}

/** Drives every open check to its end with honest checkers. */
async function settleChecks(checkers: TestNode[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    let any = false;
    for (const c of checkers) if (await check(c, true)) any = true;
    if (!any) return;
  }
}

describe("the starter tier: a brand-new provider with no tokens", () => {
  it("gets small jobs at once, re-checked every time; its earnings are held, then released, then staked in one step", async () => {
    const customer = await createOrg("starter-customer", "customer", 100n * T);
    const provider = await createOrg("starter-provider", "provider");
    const [ca, cb] = await checkersFor("starter");
    // 40 000 base units per milli-CU would be silly; the ask makes each job cost ~1.5 tokens.
    const probe = await submit(customer, "starter job 9");
    const cost =
      (await sql().$queryRaw<{ cost_milli_cu: number }[]>`SELECT cost_milli_cu FROM jobs WHERE id = ${probe}::uuid`)[0]?.cost_milli_cu ?? 1;
    await sql().$executeRaw`UPDATE jobs SET state = 'canceled' WHERE id = ${probe}::uuid`;
    const ask = (3n * T * 1000n) / 2n / BigInt(cost);
    const node = await createNode(provider, { ask });
    expect(await available(provider)).toBe(0n);

    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await submit(customer, `starter job ${i}`, ask));
    const first = await runJobs(node, 4);
    // 5 tokens of allowance, ~1.5 tokens a job: three are taken, the fourth waits.
    expect(first).toHaveLength(3);
    expect((await jobRow(jobs[3] as string)).state).toBe("queued");
    const charge = (await jobRow(first[0] as string)).price;
    const status = await nodeStakeStatus(sql(), { orgId: provider, nodeId: node.identity.id });
    expect(status.bonded).toBe("0");
    expect(status.starter).toMatchObject({ allowance: (5n * T).toString(), onAllowance: true });
    expect(BigInt(status.exposure.held)).toBe(charge * 3n);
    expect(BigInt(status.heldEarnings.total)).toBe(splitReward(charge).worker * 3n);
    expect(status.heldEarnings.releases).toHaveLength(3);
    // Nothing bonded, so nothing to slash: every starter job is re-executed.
    for (const id of first) expect((await jobRow(id)).verification).toBe("pending");
    const d = await getNodeDiagnostics({ orgId: provider, nodeId: node.identity.id });
    expect(d.reasons.map((r) => r.code)).toContain("starter_limit");
    expect(d.reasons.map((r) => r.code)).not.toContain("busy");

    // Checked right; the window (0 here) closes; the payouts are released.
    expect(await releaseHeldEarnings()).toBe(0); // pending checks hold them
    await settleChecks([ca, cb]);
    for (const id of first) expect((await jobRow(id)).verification).toBe("verified");
    expect(await releaseHeldEarnings()).toBe(3);
    expect(await balanceOf(`org:${provider}:earnings`)).toBe(splitReward(charge).worker * 3n);
    expect(await balanceOf(`node:${node.identity.id}:held`)).toBe(0n);
    // The released exposure lets the fourth job in.
    expect(await runJobs(node, 1)).toEqual([jobs[3]]);

    // "Move earnings to stake": one call, no key needed.
    const staked = await stakeNode({
      orgId: provider,
      nodeId: node.identity.id,
      amount: splitReward(charge).worker * 3n,
      source: "earnings",
    });
    expect(staked.fromEarnings).toBe((splitReward(charge).worker * 3n).toString());
    const after = await nodeStakeStatus(sql(), { orgId: provider, nodeId: node.identity.id });
    expect(BigInt(after.exposure.limit)).toBe(splitReward(charge).worker * 3n + 5n * T);
    await settleChecks([ca, cb]);
    await ledgerOk();
  });
});

describe("a fraud verdict", () => {
  it("claws back every held payout, slashes the stake, refunds the customer and audits back every earlier unchecked job — never from the emission pool", async () => {
    const customer = await createOrg("fraud-customer", "customer", 1_000n * T);
    const user = await sql().$queryRaw<{ id: string }[]>`
      INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'owner@fraud-customer.test', 'Owner') RETURNING id`;
    await sql().$executeRaw`INSERT INTO memberships (user_id, org_id, role) VALUES (${user[0]?.id}::uuid, ${customer}::uuid, 'owner')`;
    const provider = await createOrg("fraud-provider", "provider", 1_000n * T);
    const node = await createNode(provider);
    await stakeNode({ orgId: provider, nodeId: node.identity.id, amount: 500n * T });
    const [ca, cb] = await checkersFor("fraud");
    const secret = samplingSecret();
    // Jobs the sampler will not pick (value ≥ 0.5), then one it will: deterministic, since the
    // test holds the platform's sampling secret.
    const unsampled: string[] = [];
    let sampled: string | null = null;
    for (let i = 0; i < 40 && (unsampled.length < 3 || !sampled); i++) {
      const id = await submit(customer, `fraud job ${i}`);
      if (samplingValue(secret, id) >= 0.5 && unsampled.length < 3) unsampled.push(id);
      else if (samplingValue(secret, id) < 0.5 && !sampled) sampled = id;
      else await sql().$executeRaw`UPDATE jobs SET state = 'canceled' WHERE id = ${id}::uuid`;
    }
    expect(unsampled).toHaveLength(3);
    if (!sampled) throw new Error("no sampled job drawn");
    const cheated = await runJobs(node, 4, false);
    expect(cheated.sort()).toEqual([...unsampled, sampled].sort());
    for (const id of unsampled) expect((await jobRow(id)).verification).toBe("unverified");
    expect((await jobRow(sampled)).verification).toBe("pending");

    const emission = await balanceOf("emission_pool");
    const held = await balanceOf(`node:${node.identity.id}:held`);
    const customerBefore = await available(customer);
    const charges = await Promise.all(cheated.map(async (id) => (await jobRow(id)).price));
    const paid = charges.reduce((s, c) => s + c, 0n);
    expect(held).toBe(charges.reduce((s, c) => s + splitReward(c).worker, 0n));

    // First checker: mismatch → dispute; the node gets no customer jobs while it is open.
    expect(await check(ca, true)).toMatchObject({ kind: "reexecution", status: "accepted" });
    expect((await jobRow(sampled)).verification).toBe("disputed");
    const waiting = await submit(customer, "while disputed");
    await dispatch();
    expect((await jobRow(waiting)).state).toBe("queued");
    const diag = await getNodeDiagnostics({ orgId: provider, nodeId: node.identity.id });
    expect(diag.reasons.map((r) => r.code)).toContain("open_dispute");
    // Third executor (another provider): fraud.
    expect(await check(cb, true)).toMatchObject({ kind: "dispute", status: "accepted" });

    const fraud = (
      await sql().$queryRaw<
        { id: string; clawed_back: bigint; slashed: bigint; refunded: bigint; audit_jobs: number; audit_mode: string }[]
      >`
      SELECT id, clawed_back, slashed, refunded, audit_jobs, audit_mode FROM fraud_cases WHERE node_id = ${node.identity.id}::uuid`
    )[0];
    expect(fraud).toBeDefined();
    expect(BigInt(fraud?.clawed_back ?? 0n)).toBe(held);
    expect(fraud?.audit_jobs).toBe(3);
    expect(fraud?.audit_mode).toBe("refund");
    expect(await balanceOf(`node:${node.identity.id}:held`)).toBe(0n);
    expect(await balanceOf(`node:${node.identity.id}:stake`)).toBe(500n * T - BigInt(fraud?.slashed ?? 0n));
    expect((await jobRow(sampled)).verification).toBe("refunded");
    expect((await jobRow(sampled)).refunded).toBe((await jobRow(sampled)).price);

    // The audit: every earlier unchecked job refunded (the pot covers them all), customers told.
    await advanceFraudCases();
    for (const id of unsampled) {
      const j = await jobRow(id);
      expect(j.verification).toBe("refunded");
      expect(j.refunded).toBe(j.price);
      expect(j.verification_note).toMatch(/proven fraudulent on another job/);
    }
    // Everything paid for the wrong results came back (less the hold of the job still queued).
    expect(await available(customer)).toBe(customerBefore + paid - (await jobRow(waiting)).price);
    const settled = (
      await sql().$queryRaw<{ status: string; refunded: bigint; to_treasury: bigint; slashed: bigint; clawed_back: bigint }[]>`
      SELECT status::text AS status, refunded, to_treasury, slashed, clawed_back FROM fraud_cases WHERE id = ${fraud?.id}::uuid`
    )[0];
    expect(settled?.status).toBe("settled");
    expect(BigInt(settled?.refunded ?? 0n)).toBe(paid);
    expect(BigInt(settled?.refunded ?? 0n) + BigInt(settled?.to_treasury ?? 0n)).toBe(
      BigInt(settled?.slashed ?? 0n) + BigInt(settled?.clawed_back ?? 0n),
    );
    const mail = await sql().$queryRaw<
      { to_address: string; body_text: string }[]
    >`SELECT to_address, body_text FROM outbound_emails WHERE kind = 'fraud_notice'`;
    expect(mail.map((m) => m.to_address)).toEqual(["owner@fraud-customer.test"]);
    for (const id of cheated) expect(mail[0]?.body_text).toContain(id);
    // The emission pool paid nothing.
    expect(await balanceOf("emission_pool")).toBe(emission);
    // The provider is slashed: no allowance, stake counted half; the node quarantined.
    const status = await nodeStakeStatus(sql(), { orgId: provider, nodeId: node.identity.id });
    expect(status.provider).toMatchObject({ frauds: 1, slashed: true });
    expect(status.starter.allowance).toBe("0");
    expect(status.exposure.stakeMultiplier).toBe(2);
    expect((await identityOf(node.identity.id)).status).toBe("quarantined");
    // A second node of the same provider starts penalised.
    const second = await createNode(provider);
    const d2 = await getNodeDiagnostics({ orgId: provider, nodeId: second.identity.id });
    expect(d2.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(["probation", "exposure_limit"]));
    await ledgerOk();
  });

  it("with too little to refund everything, re-executes the audited jobs and refunds the wrong ones as far as the pot goes", async () => {
    process.env.POR_REEXEC_FLOOR = "1";
    process.env.POR_REEXEC_CAP = "1";
    resetEnvCache();
    const customer = await createOrg("thin-customer", "customer", 100n * T);
    const provider = await createOrg("thin-provider", "provider");
    const node = await createNode(provider); // starter tier: nothing to slash
    const [ca, cb] = await checkersFor("thin");
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await submit(customer, `thin job ${i}`));
    const cheated = await runJobs(node, 3, false);
    expect(cheated).toHaveLength(3);
    const emission = await balanceOf("emission_pool");
    const paid = (await Promise.all(cheated.map((id) => jobRow(id)))).reduce((s, j) => s + j.price, 0n);
    const before = await available(customer);
    await settleChecks([ca, cb]); // one mismatch → dispute → fraud; the others' checks are canceled
    await advanceFraudCases(); // audit checks created
    const fraud = (
      await sql().$queryRaw<{ audit_mode: string; clawed_back: bigint; slashed: bigint }[]>`
      SELECT audit_mode, clawed_back, slashed FROM fraud_cases WHERE node_id = ${node.identity.id}::uuid`
    )[0];
    expect(fraud?.audit_mode).toBe("reexecute");
    expect(BigInt(fraud?.slashed ?? 1n)).toBe(0n);
    await settleChecks([ca, cb]); // the audit re-executions
    await advanceFraudCases();
    const refunded = (await available(customer)) - before;
    // Everything the cheater had (its held payouts) went back, and no more: 85 % of what was paid.
    expect(refunded).toBe(BigInt(fraud?.clawed_back ?? 0n));
    expect(refunded).toBeLessThan(paid);
    for (const id of cheated) expect((await jobRow(id)).verification).toBe("refunded");
    expect(await balanceOf("emission_pool")).toBe(emission);
    await ledgerOk();
  });
});

describe("the executor of last resort", () => {
  it("settles a dispute that no independent checker may take, at once, and the node is slashed", async () => {
    process.env.POR_REEXEC_FLOOR = "1";
    process.env.POR_REEXEC_CAP = "1";
    resetEnvCache();
    const customer = await createOrg("lr-customer", "customer", 100n * T);
    const provider = await createOrg("lr-provider", "provider", 100n * T);
    const node = await createNode(provider);
    await stakeNode({ orgId: provider, nodeId: node.identity.id, amount: 50n * T });
    const only = await createOrg("lr-checkers", "provider", 10_000n * T);
    const checker = await createNode(only, { role: "checker" });
    await stakeNode({ orgId: only, nodeId: checker.identity.id, amount: 3_000n * T });
    // Other tests' checkers are offline: this is a one-checker network.
    const job = await submit(customer, "last resort");
    expect(await runJobs(node, 1, false)).toEqual([job]);
    expect(await check(checker, true)).toMatchObject({ kind: "reexecution" });
    expect((await jobRow(job)).verification).toBe("disputed");
    // Nobody else may take it: the platform does, with the real model standing in as `truth`.
    expect(await check(checker, true)).toBeNull();
    expect(await runLastResort({ execute: async (req) => ({ output: truth(req.input), inferenceMs: 1 }) })).toBe(1);
    const dispute = (
      await sql().$queryRaw<{ verdict: string; executor: string }[]>`
      SELECT verdict::text AS verdict, evidence->>'executor' AS executor FROM checks WHERE job_id = ${job}::uuid AND kind = 'dispute'`
    )[0];
    expect(dispute).toEqual({ verdict: "fraud", executor: "platform" });
    expect((await jobRow(job)).verification).toBe("refunded");
    expect(await balanceOf(`node:${node.identity.id}:stake`)).toBeLessThan(50n * T);
    await ledgerOk();
  });
});

describe("the lease path's backstop", () => {
  it("a node past its limit (stake unbonded under held jobs) leases no customer job; the offer lapses", async () => {
    process.env.POR_REEXEC_FLOOR = "0.02";
    process.env.POR_REEXEC_CAP = "0.02";
    process.env.POR_VERIFICATION_WINDOW_MS = "3600000";
    resetEnvCache();
    const customer = await createOrg("bs-customer", "customer", 100n * T);
    const provider = await createOrg("bs-provider", "provider", 100n * T);
    const node = await createNode(provider);
    await stakeNode({ orgId: provider, nodeId: node.identity.id, amount: 10n * T });
    const probe = await submit(customer, "backstop probe");
    expect(await runJobs(node, 1)).toEqual([probe]);
    const next = await submit(customer, "backstop next");
    await dispatch();
    expect((await jobRow(next)).state).toBe("assigned");
    // Then the provider unbonds everything, and what the node holds is past the 5-token
    // allowance (the probe's held charge stands in for a larger settled job).
    await requestUnbond({ orgId: provider, nodeId: node.identity.id, amount: 10n * T });
    await sql().$executeRaw`UPDATE held_earnings SET charge = ${6n * T} WHERE job_id = ${probe}::uuid`;
    expect(await work(node, true)).toBeNull();
    expect((await jobRow(next)).state).toBe("assigned");
    expect(await holdings(provider)).toBeGreaterThan(0n);
  });
});
