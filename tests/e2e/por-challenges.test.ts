import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { getBalances } from "@proofgrid/db/ledger";
import { deliveredCuPerHour } from "@proofgrid/por";
import { sql } from "@proofgrid/db/sql-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, workerArgs } from "../../scripts/lib/processes.ts";
import { providerOrg } from "../support/orgs.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// The platform's own checks: capability challenges at registration (and derating), standby
// checks and latency probes each epoch, canaries at random times, planted wrong results
// that catch a lazy checker, and the public per-epoch statistics.

const execFileAsync = promisify(execFile);
const CHEATER = join(ROOT, "tests/support/cheaters/cheating-node.ts");
const EPOCH_MS = 6_000;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    leaseMs: 10_000,
    env: {
      POR_CHALLENGES: "1",
      POR_EPOCH_MS: String(EPOCH_MS),
      POR_STANDBY_SHARE: "1",
      POR_REEXEC_FLOOR: "1",
      POR_REEXEC_CAP: "1",
      POR_CANARY_FLOOR: "1",
      POR_CANARY_CAP: "1",
      POR_CANARY_TICK_MS: "500",
      POR_CHALLENGE_ARM_MS: "0",
      POR_PLANTED_RATE: "1",
      // Four timed rounds over the three models (the first is the untimed warm-up): a
      // steadier measurement than production's two.
      POR_REGISTRATION_JOBS: "15",
      // Registration checks wait for an idle machine (or this long at most) and repeat a
      // measurement under the claim before derating: short here, so the test does not wait
      // out production's 10 minutes on a machine other work keeps busy.
      POR_REGISTRATION_IDLE_MS: "2000",
      POR_REGISTRATION_MAX_WAIT_MS: "15000",
      POR_REMEASURE_AFTER_MS: "2000",
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function node(nodeId: string) {
  const rows = await sql().$queryRaw<
    { status: string; quarantine_reason: string | null; admission: string; cu_per_hour: number; claimed_cu_per_hour: number }[]
  >`
    SELECT status::text AS status, quarantine_reason, admission::text AS admission, cu_per_hour, claimed_cu_per_hour FROM nodes WHERE id = ${nodeId}::uuid`;
  return rows[0];
}

async function benchmark(): Promise<number> {
  const { stdout } = await execFileAsync(process.execPath, workerArgs(["bench", "--iterations", "20"]), {
    encoding: "utf8",
    env: { ...process.env, LOG_LEVEL: "warn", INTRA_OP_THREADS: "1" },
  });
  return (JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { cuPerHour: number }).cuPerHour;
}

describe("checks the platform runs on its own", () => {
  it("derates a worker claiming twice its capability to within 15 % of what it delivers", async () => {
    // First, on a quiet stack: capability is timed, and other nodes' work would share the CPU.
    const orgB = await providerOrg("independent-checkers");
    const checker = await stack.addWorker("checker-b", {}, { role: "checker", orgId: orgB });
    // What the worker delivers is the work of its registration jobs over the time it spent
    // computing them: the inference times in its receipts, honest here (this worker lies only
    // about its capability), scored per model by median like the benchmark. The platform,
    // which may not trust receipts, charges each job at least its own lease-to-result time
    // minus 60 ms: that must cost an honest worker at most 15 %. Its benchmark, run alone
    // before and after, is the sanity check: the challenges must measure the capability the
    // benchmark does, within 35 % (the jobs share 2 cores with the web server, Postgres and
    // the coordinator; the benchmark has them to itself). An attempt whose benchmark moved
    // more than 10 % between before and after measured nothing and is made again (≤ 3).
    const ATTEMPTS = 3;
    try {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const before = await benchmark();
        // One inference thread, in the benchmark and the worker alike: on a 2-core machine a
        // 2-thread inference waits for whichever thread the web server, Postgres or the
        // coordinator just preempted (measured on CI with 2 threads: 32 % under the benchmark).
        const liar = await stack.addWorker(`overclaimer-${attempt}`, { INTRA_OP_THREADS: "1" }, { cuPerHour: before * 2 });
        const settled = await waitFor(
          "registration check of the over-claimer",
          async () => {
            const n = await node(liar.nodeId);
            return n && n.admission !== "pending" ? n : null;
          },
          { timeoutMs: 240_000 },
        );
        await liar.proc.stop(10_000);
        const after = await benchmark();
        if (attempt < ATTEMPTS && Math.abs(after - before) / Math.max(before, after) > 0.1) continue;
        const timings = await sql().$queryRaw<{ check_id: string; slug: string; cost: number; inference_ms: number; lease_ms: number }[]>`
          SELECT c.id AS check_id, m.slug, j.cost_milli_cu AS cost, a.inference_ms, (extract(epoch FROM (a.finished_at - a.leased_at)) * 1000)::int AS lease_ms
          FROM jobs j JOIN checks c ON c.id = j.check_id AND c.kind = 'registration'
          JOIN job_attempts a ON a.job_id = j.id AND a.outcome = 'succeeded' JOIN models m ON m.id = j.model_id
          WHERE j.pinned_node_id = ${liar.nodeId}::uuid ORDER BY j.created_at`;
        const shown = `benchmark ${before}/${after}; receipt/lease ms: ${timings.map((t) => `${t.slug.split("-")[0]} ${t.inference_ms}/${t.lease_ms}`).join(", ")}`;
        // A measurement under the claim is repeated before any derating: two checks, and the
        // node is credited the better. Per check, the first job of each model loads it and is
        // not timed, as in the platform.
        const checkIds = [...new Set(timings.map((t) => t.check_id))];
        expect(checkIds.length, shown).toBe(2);
        const delivered = Math.max(
          ...checkIds.map((id) => {
            const warm = new Set<string>();
            const timed = timings.filter((t) => {
              if (t.check_id !== id) return false;
              const seen = warm.has(t.slug);
              warm.add(t.slug);
              return seen;
            });
            return deliveredCuPerHour(timed.map((t) => ({ modelSlug: t.slug, costMilliCu: t.cost, wallMs: t.inference_ms })));
          }),
        );
        const bench = (before + after) / 2;
        expect(settled.admission, shown).toBe("derated");
        expect(settled.claimed_cu_per_hour).toBe(before * 2);
        expect(
          Math.abs(settled.cu_per_hour - delivered) / delivered,
          `credited ${settled.cu_per_hour}, delivered ${Math.round(delivered)}; ${shown}`,
        ).toBeLessThanOrEqual(0.15);
        expect(settled.cu_per_hour).toBeLessThanOrEqual(delivered * 1.001); // never more than it computed
        expect(Math.abs(settled.cu_per_hour - bench) / bench, `credited ${settled.cu_per_hour}; ${shown}`).toBeLessThanOrEqual(0.35);
        break;
      }
    } finally {
      await checker.proc.stop(10_000);
    }
  }, 600_000);

  it("an honest worker whose machine is busy during its check is measured again and not derated", async () => {
    // Issue 12: on `npm start` an honest worker was credited 38 % of its claim because its
    // check ran while the checker benchmarked on the same cores. Here six busy loops take
    // the CPU from before registration until the first measurement is done (three left one
    // run at 75 % of the quiet benchmark, above the 90 %-of-claim line the test needs) (the worker
    // reports the load; the check starts anyway after POR_REGISTRATION_MAX_WAIT_MS). The
    // claim is 80 % of the machine's quiet benchmark, as a careful provider states it: the
    // loaded measurement falls under 90 % of it, the quiet one does not.
    const { spawn } = await import("node:child_process");
    // A licence per checker node: the first test's checker holds the one granted with the org.
    const { grantCheckerLicence } = await import("../../apps/web/src/server/services/verification/licences.ts");
    await grantCheckerLicence({ orgSlug: "independent-checkers" });
    const orgB = (await sql().$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE slug = 'independent-checkers'`)[0]
      ?.id as string;
    const quiet = await benchmark();
    const hogs = Array.from({ length: 6 }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
    const claim = Math.round(quiet * 0.8);
    let honest: Awaited<ReturnType<Stack["addWorker"]>> | undefined;
    let checker: Awaited<ReturnType<Stack["addWorker"]>> | undefined;
    try {
      // Inside the try: a failed registration must not leave the busy loops running.
      checker = await stack.addWorker("checker-busy", {}, { role: "checker", orgId: orgB });
      honest = await stack.addWorker("honest-busy", { INTRA_OP_THREADS: "1" }, { cuPerHour: claim });
      const nodeId = honest.nodeId;
      const first = await waitFor(
        "the first measurement",
        async () => {
          const r = await sql().$queryRaw<{ decision: string | null; measured: number }[]>`
          SELECT evidence->'capability'->>'decision' AS decision, measured_cu_per_hour AS measured FROM checks
          WHERE subject_node_id = ${nodeId}::uuid AND kind = 'registration' AND status = 'done'`;
          return r[0] ?? null;
        },
        { timeoutMs: 240_000 },
      );
      for (const h of hogs) h.kill("SIGKILL");
      // Under 90 % of the claim, the check measures again once the machine is quiet; the
      // loops do not always slow a one-thread worker that far (CI: 72 % of the quiet
      // benchmark with six loops, claim at 80 %), and then it passes at once. Either way
      // the honest worker is admitted at its claim, never derated.
      const remeasured = first.measured < claim * 0.9;
      expect(first.decision, `quiet benchmark ${quiet}, claim ${claim}, measured ${first.measured}`).toBe(
        remeasured ? "remeasure" : "passed",
      );
      console.log(JSON.stringify({ scenario: "busy-registration", quiet, claim, firstMeasured: first.measured, remeasured }));
      const settled = await waitFor(
        "the check to settle",
        async () => {
          const n = await node(nodeId);
          return n && n.admission !== "pending" ? n : null;
        },
        { timeoutMs: 240_000 },
      );
      expect(settled.admission).toBe("passed");
      expect(settled.cu_per_hour).toBe(claim);
      expect(settled.cu_per_hour).toBeGreaterThanOrEqual(quiet * 0.85 * 0.8);
      // The provider sees the evidence: both measurements, each timed job, the decision.
      const { getCapabilityEvidence } = await import("../../apps/web/src/server/services/providers/get-capability-evidence.ts");
      const evidence = await getCapabilityEvidence({ orgId: stack.seed.providerOrgId, nodeId });
      expect(evidence.measurements.map((m) => m.decision?.decision)).toEqual(remeasured ? ["remeasure", "passed"] : ["passed"]);
      expect(evidence.measurements[0]?.jobs.filter((j) => j.timed).length).toBeGreaterThan(0);
    } finally {
      for (const h of hogs) h.kill("SIGKILL");
      await honest?.proc.stop(10_000);
      await checker?.proc.stop(10_000);
    }
  }, 600_000);

  it("a checker never checks its own provider's workers", async () => {
    // A checker run by the workers' own provider: it must never be handed their checks.
    const { grantCheckerLicence } = await import("../../apps/web/src/server/services/verification/licences.ts");
    await grantCheckerLicence({ orgSlug: "demo-provider" });
    const own = await stack.addWorker("own-checker", {}, { role: "checker", orgId: stack.seed.providerOrgId });
    const w = await stack.addWorker("first-worker");
    const reg = await waitFor(
      "registration check ready",
      async () => {
        const r = await sql().$queryRaw<{ id: string; status: string }[]>`
        SELECT id, status::text AS status FROM checks WHERE subject_node_id = ${w.nodeId}::uuid AND kind = 'registration'`;
        return r[0]?.status === "queued" ? r[0] : null;
      },
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const still = await sql().$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM checks WHERE id = ${reg.id}::uuid`;
    expect(still[0]?.status).toBe("queued");
    await own.proc.stop(10_000);
    // An independent checker takes it.
    await grantCheckerLicence({ orgSlug: "independent-checkers" });
    const orgB = (await sql().$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE slug = 'independent-checkers'`)[0]
      ?.id as string;
    await stack.addWorker("checker-b2", {}, { role: "checker", orgId: orgB });
    // Passed, or derated when this machine is slower than the 3600 CU/h the test claims.
    await waitFor(
      "registration checked",
      async () => (["passed", "derated"].includes((await node(w.nodeId))?.admission ?? "") ? true : null),
      { timeoutMs: 90_000 },
    );
    const done = await sql().$queryRaw<{ checker_org: string; verdict: string }[]>`
      SELECT n.org_id AS checker_org, c.verdict::text AS verdict FROM checks c JOIN nodes n ON n.id = c.checker_node_id WHERE c.id = ${reg.id}::uuid`;
    expect(done[0]).toEqual({ checker_org: orgB, verdict: "pass" });
  });

  it("runs standby checks and latency probes each epoch, and canaries among customer jobs", async () => {
    for (let i = 0; i < 6; i++) {
      const res = await api<{ id: string }>(stack, "/api/v1/jobs", {
        body: { model: "vad-silero-v5", input: { audio: (await silence()).toString("base64") } },
      });
      expect(res.status).toBe(201);
      await api(stack, `/api/v1/jobs/${res.body.id}?wait=60000`);
    }
    const kinds = await waitFor(
      "standby and canary checks",
      async () => {
        const r = await sql().$queryRaw<
          { kind: string }[]
        >`SELECT DISTINCT kind::text AS kind FROM checks WHERE status = 'done' AND verdict = 'pass'`;
        const set = new Set(r.map((x) => x.kind));
        return set.has("canary") && (set.has("standby") || set.has("latency")) ? set : null;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(kinds.has("registration")).toBe(true);
    // A latency probe is timed by the platform against the claim.
    const probes = await sql().$queryRaw<{ measured: number | null }[]>`
      SELECT (evidence->>'measuredCuPerHour')::int AS measured FROM checks WHERE kind = 'latency' AND verdict = 'pass'`;
    for (const p of probes) expect(p.measured).toBeGreaterThan(0);
    // ... and tests the declared location: these workers run here and say `local`.
    const located = await sql().$queryRaw<{ plausible: boolean; rtt: number | null }[]>`
      SELECT n.location_plausible AS plausible, n.measured_rtt_ms AS rtt FROM nodes n
      WHERE EXISTS (SELECT 1 FROM checks c WHERE c.subject_node_id = n.id AND c.kind = 'latency' AND c.verdict = 'pass')`;
    for (const l of located) {
      expect(l.plausible).toBe(true);
      expect(l.rtt).toBeGreaterThanOrEqual(4);
    }
    // Challenge jobs are the protocol's, funded from the emission pool, pinned to their subject.
    const challengeJobs = await sql().$queryRaw<{ n: number; misplaced: number }[]>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE node_id <> pinned_node_id)::int AS misplaced FROM jobs WHERE purpose = 'challenge'`;
    expect(challengeJobs[0]?.n).toBeGreaterThan(0);
    expect(challengeJobs[0]?.misplaced).toBe(0);
  });

  it("catches a checker that approves without computing, with planted wrong results", async () => {
    const orgC = await providerOrg("lazy-checkers");
    const lazy = await stack.addWorker(
      "lazy-checker",
      {},
      { role: "checker", orgId: orgC, script: CHEATER, scriptArgs: ["--lazy-checker"] },
    );
    const stakeBefore = (await getBalances(sql(), [`node:${lazy.nodeId}:stake`])).get(`node:${lazy.nodeId}:stake`) ?? 0n;
    let i = 0;
    const caught = await waitFor(
      "the lazy checker to be caught",
      async () => {
        const res = await api<{ id: string }>(stack, "/api/v1/jobs", {
          body: { model: "encoder-synthetic-minilm", input: { text: `keep the checkers busy ${i++}` } },
        });
        await api(stack, `/api/v1/jobs/${res.body.id}?wait=30000`);
        const n = await node(lazy.nodeId);
        return n?.quarantine_reason === "fraud" ? n : null;
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    );
    expect(caught.status).toBe("quarantined");
    const verdicts = await sql().$queryRaw<{ verdict: string; reason: string }[]>`
      SELECT verdict::text AS verdict, reason FROM node_verdicts WHERE node_id = ${lazy.nodeId}::uuid AND role = 'checker' AND verdict = 'fraud'`;
    expect(verdicts[0]?.reason).toBe("approved a planted wrong result");
    const stakeAfter = (await getBalances(sql(), [`node:${lazy.nodeId}:stake`])).get(`node:${lazy.nodeId}:stake`) ?? 0n;
    expect(stakeAfter).toBeLessThan(stakeBefore);
    // Honest checkers reject the planted results they are given.
    const honest = await sql().$queryRaw<{ verdict: string }[]>`
      SELECT v.verdict::text AS verdict FROM node_verdicts v JOIN checks c ON c.id = v.check_id
      WHERE c.kind = 'planted' AND v.node_id <> ${lazy.nodeId}::uuid`;
    for (const h of honest) expect(h.verdict).toBe("pass");
    await lazy.proc.stop(10_000);
  });

  it("publishes per-epoch statistics", async () => {
    // The lazy checker's slash lands in the epoch that closes next.
    const body = await waitFor(
      "a closed epoch with the slash",
      async () => {
        const r = await api<{
          current: { epochMs: number };
          epochs: { epoch: number; checksRun: number; slashes: number; recheckRate: number }[];
        }>(stack, "/api/v1/verification/epochs", { key: null });
        return r.status === 200 && r.body.epochs.some((e) => e.slashes > 0) ? r.body : null;
      },
      { timeoutMs: 3 * EPOCH_MS + 10_000, intervalMs: 500 },
    );
    expect(body.epochs.some((e) => e.checksRun > 0 && e.recheckRate > 0)).toBe(true);
    // And drawn on the public landing page.
    const html = await (await fetch(`${stack.url}/`)).text();
    expect(html).toContain('aria-label="Checks per epoch: passed, failed and fraud"');
    expect(body.current.epochMs).toBe(EPOCH_MS);
    expect(body.epochs.reduce((a, e) => a + e.slashes, 0)).toBeGreaterThanOrEqual(1);
  });
});

async function silence(): Promise<Buffer> {
  const { placeSpeech } = await import("@proofgrid/models/reference-inputs");
  return placeSpeech(3, [0.3]).wav;
}
