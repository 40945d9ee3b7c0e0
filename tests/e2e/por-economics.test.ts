import { join } from "node:path";
import { checkLedger, getBalances } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/processes.ts";
import { api, type Stack, startStack, type WorkerHandle } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// Issue 12's economics with real processes: the production web build, the coordinator (its
// executor of last resort runs the real models in a worker thread), real worker daemons —
// honest, and cheating ones (tests/support/cheaters) — and ONE checker, so no dispute can
// go to an independent checker: the platform must settle them within the deadline.

const CHEATER = join(ROOT, "tests/support/cheaters/cheating-node.ts");
const T = 1_000_000n;
const DISPUTE_DEADLINE_MS = 30_000;
const WINDOW_MS = 8_000;

interface Job {
  id: string;
  state: string;
  price: string;
  verification: string;
  notice: string | null;
  refunded: string | null;
  workerId: string | null;
}

let stack: Stack;
// Started once, by whichever test needs it first (the stack stops it at the end).
let checkerStarted: Promise<WorkerHandle> | undefined;

beforeAll(async () => {
  stack = await startStack({
    leaseMs: 10_000,
    env: {
      POR_REEXEC_FLOOR: "0.5",
      POR_REEXEC_CAP: "0.5",
      POR_PLANTED_RATE: "0",
      POR_DISPUTE_DEADLINE_MS: String(DISPUTE_DEADLINE_MS),
      POR_VERIFICATION_WINDOW_MS: String(WINDOW_MS),
      POR_ECONOMICS_INTERVAL_MS: "250",
    },
  });
  // The demo customer's owner, as a person signed up would be: the fraud notice goes to them.
  const users = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'owner@demo-startup.test', 'Owner') RETURNING id`;
  await sql()
    .$executeRaw`INSERT INTO memberships (user_id, org_id, role) VALUES (${users[0]?.id}::uuid, ${stack.seed.customerOrgId}::uuid, 'owner')`;
});
afterAll(async () => {
  await stack?.stop();
});

async function startTheChecker(): Promise<void> {
  checkerStarted ??= stack.addWorker("the-only-checker", {}, { role: "checker" });
  await checkerStarted;
}

/** A provider organisation with an API key (nodes:read/write), and optionally tokens. */
async function providerWithKey(slug: string, tokens = 0n): Promise<{ id: string; key: string }> {
  const { ensureOrgAccounts } = await import("../../apps/web/src/server/services/billing/org-accounts.ts");
  const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  const rows = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), ${slug}, ${slug}, 'provider') RETURNING id`;
  const id = rows[0]?.id as string;
  await ensureOrgAccounts(sql(), id);
  if (tokens > 0n) await grantCredits({ orgId: id, amount: tokens, idempotencyKey: `funds:${slug}`, memo: "test" });
  const { key } = await createApiKey({ orgId: id, name: "provider", scopes: ["nodes:read", "nodes:write", "billing:read"] });
  return { id, key };
}

async function stakeViaApi(key: string, nodeId: string, amount: bigint, extra: Record<string, unknown> = {}) {
  return api<{ created: boolean; fromEarnings: string }>(stack, `/api/v1/nodes/${nodeId}/stake`, {
    key,
    body: { amount: amount.toString(), ...extra },
  });
}

async function submit(text: string, opts: { key?: string; maxPricePerCu?: string } = {}): Promise<Job> {
  const res = await api<Job>(stack, "/api/v1/jobs", {
    key: opts.key,
    body: { model: "encoder-synthetic-minilm", input: { text }, maxPricePerCu: opts.maxPricePerCu },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function finished(id: string, key?: string): Promise<Job> {
  const res = await api<Job>(stack, `/api/v1/jobs/${id}?wait=60000`, { key });
  expect(res.body.state, JSON.stringify(res.body)).toBe("succeeded");
  return res.body;
}

const job = async (id: string, key?: string) => (await api<Job>(stack, `/api/v1/jobs/${id}`, { key })).body;

async function onlyOnline(keep: string[]): Promise<void> {
  await sql()
    .$executeRaw`UPDATE nodes SET status = 'offline' WHERE role = 'worker' AND status = 'online' AND NOT (id = ANY(${keep}::uuid[]))`;
}

describe("a single-checker network", () => {
  let cheater: WorkerHandle;
  let cheatCo: { id: string; key: string };
  const unchecked: Job[] = [];
  let caught: Job | undefined;

  it("settles a dispute within the deadline (the platform re-executes it) and slashes the cheater", async () => {
    cheatCo = await providerWithKey("cheat-co", 1_000n * T);
    cheater = await stack.addWorker(
      "cheat",
      {},
      { script: CHEATER, scriptArgs: ["--strategy", "random"], orgId: cheatCo.id, stake: false },
    );
    expect((await stakeViaApi(cheatCo.key, cheater.nodeId, 500n * T)).status).toBe(201);
    // With no checker up yet, sampled jobs wait as `pending`: run until some were not sampled
    // (these stay `unverified`: the ones the issue saw never followed up) and one was.
    for (let i = 0; i < 30 && (unchecked.length < 2 || !caught); i++) {
      const j = await finished((await submit(`economics ${i} ${Math.random()}`)).id);
      expect(j.workerId).toBe(cheater.nodeId);
      const v = await job(j.id);
      if (v.verification === "unverified") unchecked.push(v);
      else if (v.verification === "pending" && !caught) caught = v;
    }
    expect(unchecked.length).toBeGreaterThanOrEqual(2);
    if (!caught) throw new Error("no job was sampled");
    const stakeBefore = (await getBalances(sql(), [`node:${cheater.nodeId}:stake`])).get(`node:${cheater.nodeId}:stake`) ?? 0n;
    await startTheChecker();

    const dispute = await waitFor(
      "the dispute",
      async () =>
        (
          await sql().$queryRaw<{ id: string; created_at: Date }[]>`
            SELECT id, created_at FROM checks WHERE kind = 'dispute' AND subject_node_id = ${cheater.nodeId}::uuid ORDER BY created_at LIMIT 1`
        )[0],
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    // While it is open the cheater gets no customer job: one submitted now waits.
    const during = await submit("submitted while the dispute is open");
    const settled = await waitFor(
      "the dispute's verdict",
      async () =>
        (
          await sql().$queryRaw<{ verdict: string; executor: string | null; finished_at: Date; created_at: Date }[]>`
            SELECT verdict::text AS verdict, evidence->>'executor' AS executor, finished_at, created_at FROM checks
            WHERE id = ${dispute.id}::uuid AND status = 'done'`
        )[0],
      { timeoutMs: DISPUTE_DEADLINE_MS + 60_000, intervalMs: 200 },
    );
    expect(settled.verdict).toBe("fraud");
    expect(settled.executor).toBe("platform");
    // No eligible checker: the platform took it at once, not at the deadline.
    expect(settled.finished_at.getTime() - settled.created_at.getTime()).toBeLessThan(DISPUTE_DEADLINE_MS);
    const leasedDuring = await sql().$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM job_attempts a JOIN jobs j ON j.id = a.job_id
      WHERE a.node_id = ${cheater.nodeId}::uuid AND j.purpose <> 'challenge' AND a.leased_at >= ${settled.created_at}`;
    expect(leasedDuring[0]?.n).toBe(0);
    expect((await job(during.id)).state).toBe("queued");
    await api(stack, `/api/v1/jobs/${during.id}`, { method: "DELETE" });

    const slash = await sql().$queryRaw<{ amount: bigint }[]>`SELECT amount FROM slashes WHERE node_id = ${cheater.nodeId}::uuid`;
    expect(slash).toHaveLength(1);
    const stakeAfter = (await getBalances(sql(), [`node:${cheater.nodeId}:stake`])).get(`node:${cheater.nodeId}:stake`) ?? 0n;
    expect(stakeAfter).toBe(stakeBefore - BigInt(slash[0]?.amount ?? 0n));
    expect(BigInt(slash[0]?.amount ?? 0n)).toBeGreaterThan(0n);
    const node = await sql().$queryRaw<
      { status: string; quarantine_reason: string }[]
    >`SELECT status::text AS status, quarantine_reason FROM nodes WHERE id = ${cheater.nodeId}::uuid`;
    expect(node[0]).toEqual({ status: "quarantined", quarantine_reason: "fraud" });
    const v = await job(caught.id);
    expect(v.verification).toBe("refunded");
    expect(v.refunded).toBe(v.price);
    await cheater.proc.stop(10_000);
  });

  it("then every earlier unchecked job of that node is refunded, and its customer sees the notice, on the job and by email", async () => {
    for (const u of unchecked) {
      const v = await waitFor(
        `the audit of ${u.id}`,
        async () => {
          const j = await job(u.id);
          return j.verification === "refunded" || j.verification === "verified" ? j : null;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(v.verification).toBe("refunded");
      expect(v.refunded).toBe(v.price);
      expect(v.notice).toMatch(/proven fraudulent on another job/);
    }
    const mail = await waitFor(
      "the fraud notice email",
      async () => {
        const rows = await sql().$queryRaw<{ to_address: string; body_text: string; sent_at: Date | null }[]>`
          SELECT to_address, body_text, sent_at FROM outbound_emails WHERE kind = 'fraud_notice'`;
        return rows.length > 0 && rows.every((r) => r.sent_at) ? rows : null;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(mail.map((m) => m.to_address)).toEqual(["owner@demo-startup.test"]);
    for (const u of unchecked) expect(mail[0]?.body_text).toContain(u.id);
    // The slash paid every refund; the emission pool none.
    const fraud = await sql().$queryRaw<{ status: string; refunded: bigint; clawed_back: bigint; slashed: bigint; to_treasury: bigint }[]>`
      SELECT status::text AS status, refunded, clawed_back, slashed, to_treasury FROM fraud_cases WHERE org_id = ${cheatCo.id}::uuid`;
    expect(fraud[0]?.status).toBe("settled");
    const f = fraud[0] as { refunded: bigint; clawed_back: bigint; slashed: bigint; to_treasury: bigint };
    expect(BigInt(f.refunded) + BigInt(f.to_treasury)).toBe(BigInt(f.clawed_back) + BigInt(f.slashed));
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("a slashed provider's second node starts penalised: probation, no starter allowance, its stake counted half", async () => {
    const second = await stack.addWorker("cheat-co-second", {}, { orgId: cheatCo.id, stake: false });
    const status = await api<{
      provider: { frauds: number; slashed: boolean; onProbation: boolean };
      starter: { allowance: string };
      exposure: { stakeMultiplier: number; limit: string };
    }>(stack, `/api/v1/nodes/${second.nodeId}/stake`, { key: cheatCo.key });
    expect(status.status).toBe(200);
    expect(status.body.provider).toEqual({ frauds: 1, slashed: true, onProbation: true });
    expect(status.body.starter.allowance).toBe("0");
    expect(status.body.exposure.stakeMultiplier).toBe(2);
    expect(status.body.exposure.limit).toBe("0");
    const diag = await api<{ reasons: { code: string }[] }>(stack, `/api/v1/nodes/${second.nodeId}/diagnostics`, { key: cheatCo.key });
    expect(diag.body.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(["probation", "exposure_limit"]));
    expect(diag.body.reasons.map((r) => r.code)).not.toContain("busy");
    // The public record shows the provider's history.
    const pub = await api<{ providers: { frauds: number; slashed: string; standing: { newNodesOnProbation: boolean } }[] }>(
      stack,
      `/api/v1/network/providers?provider=${cheatCo.id}`,
      { key: null },
    );
    expect(pub.body.providers[0]).toMatchObject({ frauds: 1, standing: { newNodesOnProbation: true } });
    await second.proc.stop(10_000);
  });
});

describe("a brand-new provider with no tokens", () => {
  it("gets a job under the starter tier, is paid (held, then released), and moves the earnings to stake", async () => {
    await startTheChecker();
    const newcomer = await providerWithKey("newcomer");
    const worker = await stack.addWorker("newcomer-worker", {}, { orgId: newcomer.id, stake: false });
    await onlyOnline([worker.nodeId]);
    const j = await finished((await submit(`a first job for a newcomer ${Math.random()}`)).id);
    expect(j.workerId).toBe(worker.nodeId);
    const held = await api<{
      bonded: string;
      starter: { allowance: string; onAllowance: boolean };
      heldEarnings: { total: string; releases: { releaseAt: string }[] };
    }>(stack, `/api/v1/nodes/${worker.nodeId}/stake`, { key: newcomer.key });
    expect(held.body.bonded).toBe("0");
    expect(held.body.starter).toMatchObject({ allowance: (5n * T).toString(), onAllowance: true });
    expect(BigInt(held.body.heldEarnings.total)).toBeGreaterThan(0n);
    const diag = await api<{ reasons: { code: string }[] }>(stack, `/api/v1/nodes/${worker.nodeId}/diagnostics`, { key: newcomer.key });
    expect(diag.body.reasons.map((r) => r.code)).not.toContain("busy");
    // Nothing bonded: the job is re-executed (deterrent rate 1), verified, then released after the window.
    await waitFor("verification", async () => (await job(j.id)).verification === "verified", { timeoutMs: 120_000, intervalMs: 200 });
    const earned = await waitFor(
      "the release",
      async () => {
        const b = await api<{ earnings: string; heldEarnings: string }>(stack, "/api/v1/balance", { key: newcomer.key });
        return BigInt(b.body.earnings) > 0n && b.body.heldEarnings === "0" ? BigInt(b.body.earnings) : null;
      },
      { timeoutMs: WINDOW_MS + 30_000, intervalMs: 250 },
    );
    // Move earnings to stake: one call, no idempotency key.
    const staked = await stakeViaApi(newcomer.key, worker.nodeId, earned, { source: "earnings" });
    expect(staked.status, JSON.stringify(staked.body)).toBe(201);
    expect(staked.body.fromEarnings).toBe(earned.toString());
    await worker.proc.stop(10_000);
  });
});

describe("the colluding pair of issue 12, finding 6", () => {
  it("a cheating provider asking 2·10¹⁰ per CU and its own customer now lose tokens; the emission pool pays nothing", async () => {
    await startTheChecker();
    const pairProvider = await providerWithKey("pair-provider", 500n * T);
    const { customerOrg } = await import("../support/orgs.ts");
    // Enough for all 15 jobs at 160 tokens: with 1 000, a fake not sampled in the first six
    // (2⁻⁶ at a re-check rate of ½, more when a check is slow on a loaded machine) ran the
    // customer out of credits before the loop could end (a 402 seen in CI).
    const pairCustomer = await customerOrg("pair-customer", { tokens: 2_500n });
    const cheat = await stack.addWorker(
      "pair-cheat",
      {},
      {
        script: CHEATER,
        scriptArgs: ["--strategy", "random"],
        orgId: pairProvider.id,
        stake: false,
        cuPerHour: 1,
        askPricePerCu: 20_000_000_000,
      },
    );
    await onlyOnline([cheat.nodeId]);
    expect((await stakeViaApi(pairProvider.key, cheat.nodeId, 400n * T)).status).toBe(201);
    const holdings = async () => {
      const rows = await sql().$queryRaw<{ total: bigint }[]>`
        SELECT coalesce(sum(balance), 0)::bigint AS total FROM ledger_accounts
        WHERE org_id IN (${pairProvider.id}::uuid, ${pairCustomer.id}::uuid) AND kind <> 'fraud_pot'`;
      return BigInt(rows[0]?.total ?? 0n);
    };
    const before = await holdings();
    const emission = (await getBalances(sql(), ["emission_pool"])).get("emission_pool") ?? 0n;
    const jobs: Job[] = [];
    // One at a time: each is re-checked with probability ½ (a new node), so a fake is caught
    // within 15 jobs but with probability 2⁻¹⁵. A job past the exposure limit waits in the
    // queue until held earnings are released (the window), so each may take a while.
    for (let i = 0; i < 15; i++) {
      const frauds = await sql().$queryRaw<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM fraud_cases WHERE org_id = ${pairProvider.id}::uuid`;
      if ((frauds[0]?.n ?? 0) > 0) break;
      const submitted = await submit(`the pair's job ${i} ${Math.random()}`, { key: pairCustomer.key, maxPricePerCu: "20000000000" });
      const done = await api<Job>(stack, `/api/v1/jobs/${submitted.id}?wait=60000`, { key: pairCustomer.key });
      jobs.push(done.body);
      // Give a sampled job's check (and a dispute) time to end before the next.
      await waitFor("its check", async () => (await job(submitted.id, pairCustomer.key)).verification !== "pending", {
        timeoutMs: 60_000,
        intervalMs: 200,
      }).catch(() => undefined);
    }
    await waitFor(
      "the pair's fraud case to settle",
      async () => {
        const f = await sql().$queryRaw<
          { status: string }[]
        >`SELECT status::text AS status FROM fraud_cases WHERE org_id = ${pairProvider.id}::uuid`;
        return f.length > 0 && f.every((x) => x.status === "settled");
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    for (const j of jobs) if (j.state === "queued") await api(stack, `/api/v1/jobs/${j.id}`, { method: "DELETE", key: pairCustomer.key });
    const after = await holdings();
    const charged = jobs.filter((j) => j.state === "succeeded").map((j) => BigInt(j.price));
    console.log(
      JSON.stringify({
        metric: "colluding_pair_net_tokens",
        jobsRun: charged.length,
        pricePerJobTokens: charged.length > 0 ? Number(charged[0]) / 1e6 : null,
        pairNetTokens: Number(after - before) / 1e6,
        emissionPoolDeltaTokens: Number(((await getBalances(sql(), ["emission_pool"])).get("emission_pool") ?? 0n) - emission) / 1e6,
      }),
    );
    expect(charged.length).toBeGreaterThan(0);
    expect(after).toBeLessThan(before);
    expect((await getBalances(sql(), ["emission_pool"])).get("emission_pool") ?? 0n).toBe(emission);
    expect((await checkLedger(sql())).ok).toBe(true);
    await cheat.proc.stop(10_000);
  });
});
