/**
 * Can a worker tell a challenge from a customer job? (issue 12) — part of `npm run bench:por`.
 *
 * A real stack (web app, coordinator, Postgres, an honest checker process, a second worker of
 * another provider) with challenges on, and a spy: a worker daemon of the project's own loop
 * whose executor records everything the worker sees at each lease — the payload's statistics
 * (measureInput and more), its sizes, the job id's bits, the attempt and lease fields, the
 * time since its previous leases, how many it holds, and what the public feeds say right
 * after (it polls /network/recent, /network/live and /market) — and then runs the job honestly.
 * Customers send real traffic made independently of the challenge renderer: Brown-corpus
 * texts, pages rendered in many styles, espeak-ng recordings (bench/stealth/customer-inputs).
 * The customers opted in to donate their inputs: their verified jobs of a warm-up, run by
 * another provider's worker, fill the platform's private challenge corpus. So the donated
 * traffic is a fair sample of the customers' (the same sentences, voices and habits), as it
 * is when the customers who opt in are like the rest; a donor unlike the rest stands out
 * as much as it differs (README, "Challenges no worker can spot").
 *
 * The adversary (bench/stealth/adversary.ts) is then trained on the labelled leases and
 * evaluated out of fold: AUC per model and input kind (goal ≤ 0.55); the same adversary on
 * the former generator (por's templates) as the baseline; the feeds alone. Then the
 * "honest only when it thinks it is watched" cheater with the adversary's scores, under the
 * production sampling, canary, slash and stake rules of packages/por: its best expected net
 * gain per identity (goal < 0), and the time from its first cheat to quarantine.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import { challengeInput } from "@proofgrid/models/challenge-input";
import { measureInput } from "@proofgrid/models/traffic/measure-input";
import {
  canaryRate,
  DEFAULT_SAMPLING_POLICY,
  DEFAULT_STAKE_POLICY,
  hashJson,
  type LeasedJob,
  minimumSlash,
  minimumStake,
  reexecutionRate,
  splitReward,
} from "@proofgrid/por";
import { registerCommand } from "../apps/worker/src/commands/register.ts";
import { loadConfig } from "../apps/worker/src/config.ts";
import { type JobExecutor, runWorker } from "../apps/worker/src/daemon/run-worker.ts";
import { loadIdentity } from "../apps/worker/src/identity/node-identity.ts";
import type { InferencePool } from "../apps/worker/src/inference/inference-pool.ts";
import { createLogger } from "../apps/worker/src/logger.ts";
import { NodeClient } from "../apps/worker/src/protocol/node-client.ts";
import { customerOrg, providerOrg } from "../tests/support/orgs.ts";
import { api, type Stack, startStack } from "../tests/support/stack.ts";
import { median, progress, report } from "./report.ts";
import { auc, type ChanceResult, chanceOf, crossValidate, type Example } from "./stealth/adversary.ts";
import { loadBrown } from "./stealth/brown.ts";
import { customerAudio, customerPage, customerText, recordSpeech } from "./stealth/customer-inputs.ts";

const SLUGS = ["encoder-synthetic-minilm", "ocr-ppocr-v4", "vad-silero-v5"] as const;
type Slug = (typeof SLUGS)[number];
/** The challenge share for the run: production's canary rate is 0.5–5 %, too few to measure. */
const BENCH_CANARY_RATE = 0.3;
/**
 * Warm-up jobs (donated, run by another provider), so the spy's challenges can all be replays:
 * about 0.3 of its leases are challenges (≈ 0.43 per customer job), each replays a donated
 * input once; two thirds of the measured phase's jobs leave a margin, and never fewer than 240.
 */
const warmupJobs = (jobs: number) => Math.max(240, Math.ceil((jobs * 2) / 3));
/** Leases before this far into the measured phase are left out (see `steady`): three mean arming delays. */
const STEADY_AFTER_MS = 90_000;

interface Lease {
  jobId: string;
  /** When the spy leased it (ms since the epoch). */
  at: number;
  slug: string;
  inputKind: string;
  features: Record<string, number>;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StealthOptions {
  database: { url: string; drop: () => Promise<void> };
  pool: InferencePool;
  /** Customer jobs in the measured phase. */
  jobs: number;
}

export async function runStealthBench(opts: StealthOptions) {
  const brown = loadBrown();
  const sentences = [...brown.customers, ...brown.donors];
  progress(`stealth: ${sentences.length} sentences (Brown corpus); recording speech with espeak-ng`);
  const clips = recordSpeech(sentences, 48);
  const stack = await startStack({
    database: opts.database,
    leaseMs: 15_000,
    env: {
      LOG_LEVEL: "warn",
      POR_CHALLENGES: "1",
      POR_CANARY_FLOOR: String(BENCH_CANARY_RATE),
      POR_CANARY_CAP: String(BENCH_CANARY_RATE),
      POR_REEXEC_FLOOR: "0.02",
      POR_REEXEC_CAP: "0.02",
      POR_PLANTED_RATE: "0",
      POR_EPOCH_MS: "60000",
      POR_STANDBY_SHARE: "1",
      POR_REGISTRATION_JOBS: "3",
      POR_REGISTRATION_IDLE_MS: "0",
      POR_REGISTRATION_MAX_WAIT_MS: "0",
      POR_TRAFFIC_SAMPLE_MS: "500",
      // The production feeds: one-minute buckets, two minutes behind.
      PUBLIC_FEED_DELAY_MS: "120000",
      PUBLIC_FEED_BUCKET_MS: "60000",
    },
  });
  try {
    const otherProvider = await providerOrg("stealth-provider-b", { licence: false });
    const checkerOrg = await providerOrg("stealth-checkers");
    await stack.addWorker("checker", { CONCURRENCY: "2" }, { role: "checker", orgId: checkerOrg });
    // A second provider's worker runs the warm-up with the spy, so part of the donated
    // content comes from jobs the spy never saw (a provider's own nodes never get back
    // content from jobs they ran); it stops before the measured phase so the spy sees all.
    const other = await stack.addWorker("other-worker", { INTRA_OP_THREADS: "1" }, { orgId: otherProvider, cuPerHour: 500 });
    const customers = [
      await customerOrg("stealth-customer-a", { tokens: 100_000n }),
      await customerOrg("stealth-customer-b", { tokens: 100_000n }),
    ];
    await sql().$executeRaw`UPDATE organizations SET donates_challenge_inputs = true WHERE id = ANY(${customers.map((c) => c.id)}::uuid[])`;

    type Sent = { id: string; key: string } | null;
    const send = async (key: string, slug: Slug, habit: "single" | "paragraph" | "batch"): Promise<Sent> => {
      const input =
        slug === "encoder-synthetic-minilm"
          ? customerText(sentences, habit)
          : slug === "ocr-ppocr-v4"
            ? await customerPage(sentences)
            : customerAudio(clips);
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: slug, input }, key });
          if (res.status !== 201) progress(`stealth: submit refused (${res.status}): ${JSON.stringify(res.body).slice(0, 200)}`);
          return res.status === 201 ? { id: res.body.id, key } : null;
        } catch (err) {
          // A kept-alive socket the server closed between requests: a client-side hiccup.
          if (attempt >= 3) throw err;
          await sleep(300);
        }
      }
    };
    const waitAll = async (sent: Sent[]) => {
      for (const j of sent) if (j) await api(stack, `/api/v1/jobs/${j.id}?wait=60000`, { key: j.key }).catch(() => undefined);
    };

    // Each organisation's habits: its mix of models, and how it sends text (single
    // sentences or batches, a paragraph now and then).
    const habits = [
      {
        key: (customers[0] as { key: string }).key,
        mix: ["encoder-synthetic-minilm", "encoder-synthetic-minilm", "ocr-ppocr-v4", "vad-silero-v5"] as Slug[],
        habit: "single" as const,
      },
      {
        key: (customers[1] as { key: string }).key,
        mix: ["encoder-synthetic-minilm", "ocr-ppocr-v4", "vad-silero-v5", "vad-silero-v5"] as Slug[],
        habit: "batch" as const,
      },
    ];
    const sendAsCustomer = (who: (typeof habits)[number]) => send(who.key, pick(who.mix), Math.random() < 0.7 ? who.habit : "paragraph");

    // Warm-up: the customers' traffic fills the private corpus (their inputs are replayed
    // as challenges, once each) and the traffic shapes. It runs on the other provider's
    // worker before the spy registers: a provider never gets back an input its own nodes
    // ran, so the spy's challenges can all be replays while the corpus lasts.
    const WARMUP_JOBS = warmupJobs(opts.jobs);
    progress(`stealth: warm-up — ${WARMUP_JOBS} customer jobs (donated) on another provider`);
    const warmIds: Sent[] = [];
    for (let i = 0; i < WARMUP_JOBS; i++) {
      warmIds.push(await sendAsCustomer(pick(habits)));
      if (i % 6 === 5) await waitAll(warmIds.slice(-6));
      if (i % 30 === 29) progress(`stealth: warm-up ${i + 1}/${WARMUP_JOBS}`);
    }
    await waitAll(warmIds);
    await waitCorpus(WARMUP_JOBS);
    const spy = await startSpy(stack, opts.pool);
    await waitAdmitted(spy.nodeId);
    await other.proc.stop(20_000);

    // Measured phase: sessions of customer traffic, bursty, of each organisation's habits.
    progress(`stealth: measured phase — ${opts.jobs} customer jobs; the spy records every lease`);
    spy.recording = true;
    const measureStart = Date.now();
    const ids: Sent[] = [];
    while (ids.length < opts.jobs) {
      const who = pick(habits);
      const n = 1 + Math.floor(Math.random() * 8);
      for (let k = 0; k < n && ids.length < opts.jobs; k++) {
        ids.push(await sendAsCustomer(who));
        await sleep(-Math.log(1 - Math.random()) * 800);
      }
      await sleep(500 + Math.random() * 3_500);
      if (ids.length % 40 < n) progress(`stealth: ${ids.length}/${opts.jobs} customer jobs sent, ${spy.leases.length} leases recorded`);
    }
    const sendEnd = Date.now();
    await waitAll(ids);
    // Challenges scheduled behind the last customer leases land a gap later.
    await sleep(20_000);
    spy.recording = false;
    spy.stop.abort();
    await spy.done;

    const labels = new Map(
      (
        await sql().$queryRaw<{ id: string; purpose: string; kind: string | null }[]>`
          SELECT j.id, j.purpose::text AS purpose, c.kind::text AS kind FROM jobs j LEFT JOIN checks c ON c.id = j.check_id
          WHERE j.id = ANY(${spy.leases.map((l) => l.jobId)}::uuid[])`
      ).map((r) => [r.id, r]),
    );
    // Registration checks come before a worker is admitted (the worker knows it is new):
    // they are capability measurements in the benchmark's shapes, left out of the bound.
    // The steady state only: a finite run has edges that production traffic has not. In its
    // first minute and a half no challenge is armed yet (30 s mean arming delay), and after
    // the last customer job only challenges come; both made "how far into the run" (the
    // feeds' growing hour counts) a label. Trimmed by time alone, never by label.
    const steady = (l: Lease) => l.at >= measureStart + STEADY_AFTER_MS && l.at <= sendEnd;
    const recorded = spy.leases.filter((l) => labels.has(l.jobId) && labels.get(l.jobId)?.kind !== "registration");
    const leases = recorded.filter(steady);
    progress(
      `stealth: ${leases.length} of ${recorded.length} leases in the steady state (from ${STEADY_AFTER_MS / 1000} s in to the last customer job sent)`,
    );
    const examples = (filter: (l: Lease) => boolean) =>
      leases.filter(filter).map((l): Example => ({ features: l.features, label: labels.get(l.jobId)?.purpose === "challenge" ? 1 : 0 }));
    const names = (prefix: string[]) =>
      [...new Set(leases.flatMap((l) => Object.keys(l.features)))].filter((n) => prefix.some((p) => n.startsWith(p))).sort();
    const ALL = names(["p_", "t_", "id_", "f_"]);

    const groups = [...new Set(leases.map((l) => `${l.slug}|${l.inputKind}`))].sort();
    const rows: {
      model: string;
      inputKind: string;
      customer: number;
      challenge: number;
      auc: number;
      classifier: string;
      chance: ChanceResult;
      baseline: number | null;
    }[] = [];
    for (const g of groups) {
      const [slug, inputKind] = g.split("|") as [string, string];
      const ex = examples((l) => l.slug === slug && l.inputKind === inputKind);
      const nC = ex.filter((e) => e.label === 1).length;
      if (nC < 5 || ex.length - nC < 5) {
        progress(`stealth: ${g}: ${nC} challenges, ${ex.length - nC} customer jobs — too few to measure`);
        continue;
      }
      const cv = crossValidate(ex, ALL);
      const chance = chanceAt(g, ex, ALL, cv.auc);
      const telling = strongestFeatures(ex, ALL);
      const baseline = await baselineAuc(
        slug as Slug,
        inputKind,
        ex.filter((e) => e.label === 0),
      );
      rows.push({
        model: slug,
        inputKind,
        customer: ex.length - nC,
        challenge: nC,
        auc: cv.auc,
        classifier: cv.classifier,
        chance,
        baseline,
      });
      report({
        name: `por.stealth.auc.${slug}.${inputKind}`,
        value: cv.auc,
        unit: "AUC",
        goal: "≤ 0.55",
        ...(baseline !== null ? { baseline } : {}),
        detail: {
          customer: ex.length - nC,
          challenge: nC,
          classifier: cv.classifier,
          byClassifier: cv.byClassifier,
          chance,
          strongestFeatures: telling,
          baselineIs: "the same adversary, payload features, on the former template generator",
        },
      });
    }
    // How many of the spy's challenges replayed a donated input (the rest were rendered: the corpus ran out).
    const replayed = await sql().$queryRaw<{ replayed: number; rendered: number }[]>`
      SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jobs d WHERE d.input_hash = j.input_hash AND d.purpose = 'customer'))::int AS replayed,
             count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM jobs d WHERE d.input_hash = j.input_hash AND d.purpose = 'customer'))::int AS rendered
      FROM jobs j JOIN checks c ON c.id = j.check_id
      WHERE j.id = ANY(${leases.map((l) => l.jobId)}::uuid[]) AND j.purpose = 'challenge'`;
    progress(`stealth: challenges replayed from the corpus: ${replayed[0]?.replayed ?? 0}, rendered: ${replayed[0]?.rendered ?? 0}`);
    report({
      name: "por.stealth.replayed",
      value: replayed[0]?.replayed ?? 0,
      unit: "challenges",
      detail: { rendered: replayed[0]?.rendered ?? 0 },
    });
    const pooled = examples(() => true).map((e, i) => ({ ...e, features: { ...e.features, ...oneHot(leases[i] as Lease) } }));
    const POOLED = [...ALL, "m_ocr", "m_vad", "m_enc", "k_texts", "k_png", "k_jpeg", "k_webp"];
    const pooledCv = crossValidate(pooled, POOLED);
    const pooledChance = chanceAt("all leases", pooled, POOLED, pooledCv.auc);
    report({
      name: "por.stealth.auc.all",
      value: pooledCv.auc,
      unit: "AUC",
      goal: "≤ 0.55",
      detail: {
        leases: pooled.length,
        challenges: pooled.filter((e) => e.label === 1).length,
        byClassifier: pooledCv.byClassifier,
        chance: pooledChance,
      },
    });
    // The same adversary on every recorded lease, the run's edges included (for comparison).
    const edges = recorded.map(
      (l): Example => ({ features: { ...l.features, ...oneHot(l) }, label: labels.get(l.jobId)?.purpose === "challenge" ? 1 : 0 }),
    );
    const edgesCv = crossValidate(edges, [...ALL, "m_ocr", "m_vad", "m_enc", "k_texts", "k_png", "k_jpeg", "k_webp"]);
    report({
      name: "por.stealth.auc.all-with-run-edges",
      value: edgesCv.auc,
      unit: "AUC",
      detail: { leases: edges.length, challenges: edges.filter((e) => e.label === 1).length },
    });
    if (process.env.STEALTH_DUMP) writeFileSync(process.env.STEALTH_DUMP, JSON.stringify({ leases, labels: Object.fromEntries(labels) }));
    const feedsCv = crossValidate(
      examples(() => true),
      names(["f_"]),
    );
    const feedsChance = chanceAt(
      "feeds",
      examples(() => true),
      names(["f_"]),
      feedsCv.auc,
    );
    report({
      name: "por.stealth.auc.feeds",
      value: feedsCv.auc,
      unit: "AUC",
      goal: "≈ 0.5",
      detail: {
        strongestFeatures: strongestFeatures(
          examples(() => true),
          names(["f_"]),
        ),
        byClassifier: feedsCv.byClassifier,
        chance: feedsChance,
      },
    });
    const hindsightCv = crossValidate(
      examples(() => true),
      names(["h_"]),
    );
    const hindsightChance = chanceAt(
      "hindsight",
      examples(() => true),
      names(["h_"]),
      hindsightCv.auc,
    );
    report({
      name: "por.stealth.auc.feeds-after-result",
      value: hindsightCv.auc,
      unit: "AUC",
      goal: "≈ 0.5",
      detail: {
        strongestFeatures: strongestFeatures(
          examples(() => true),
          names(["h_"]),
        ),
        byClassifier: hindsightCv.byClassifier,
        chance: hindsightChance,
      },
    });
    const timingCv = crossValidate(
      examples(() => true),
      names(["t_", "id_"]),
    );
    const timingChance = chanceAt(
      "timing",
      examples(() => true),
      names(["t_", "id_"]),
      timingCv.auc,
    );
    report({
      name: "por.stealth.auc.timing",
      value: timingCv.auc,
      unit: "AUC",
      goal: "≈ 0.5",
      detail: {
        strongestFeatures: strongestFeatures(
          examples(() => true),
          names(["t_", "id_"]),
        ),
        byClassifier: timingCv.byClassifier,
        chance: timingChance,
      },
    });

    // The cheater, with the adversary's out-of-fold scores, under production's rules.
    const price = await meanCustomerPrice(spy.nodeId);
    const checkLatencyMs = await medianCheckLatency(spy.nodeId);
    const jobsPerMinute = await customerRate(spy.nodeId);
    const scored = pooled.map((e, i) => ({ label: e.label, score: pooledCv.scores[i] as number }));
    const cheater = simulateCheater({ scored, price, jobsPerMinute, checkLatencyMs });
    report({
      name: "por.stealth.cheater-net-gain",
      value: cheater.best.netPerIdentity,
      unit: "base units per identity",
      goal: "< 0",
      detail: { ...cheater, price: price.toString() },
    });
    report({
      name: "por.stealth.time-to-quarantine",
      value: cheater.best.medianMinutesToQuarantine,
      unit: "minutes (median, first cheat → quarantine)",
      detail: { p90: cheater.best.p90MinutesToQuarantine, jobsPerMinute, checkLatencyMs },
    });

    console.error("\n  Challenges vs customer jobs — the adversary's AUC, out of fold (goal ≤ 0.55; 0.5 = chance)\n");
    console.error(
      "  %s | %s | %s | %s | %s",
      "model / input kind".padEnd(36),
      "customer",
      "challenge",
      "AUC (best of stumps, logistic)",
      "chance: p95 / p",
      "former generator",
    );
    for (const r of rows)
      console.error(
        "  %s | %s | %s | %s | %s | %s",
        `${r.model} / ${r.inputKind}`.padEnd(36),
        String(r.customer).padStart(8),
        String(r.challenge).padStart(9),
        `${r.auc.toFixed(3)} (${r.classifier})`.padEnd(30),
        chanceText(r.chance),
        r.baseline === null ? "—" : r.baseline.toFixed(3),
      );
    console.error(
      "  %s | %s | %s | %s | %s |",
      "all leases, pooled".padEnd(36),
      String(pooled.filter((e) => e.label === 0).length).padStart(8),
      String(pooled.filter((e) => e.label === 1).length).padStart(9),
      pooledCv.auc.toFixed(3).padEnd(30),
      chanceText(pooledChance),
    );
    for (const [label, cv, chance] of [
      ["public feeds only", feedsCv, feedsChance],
      ["public feeds after the result", hindsightCv, hindsightChance],
      ["timing, ids and lease fields only", timingCv, timingChance],
    ] as const)
      console.error(
        "  %s | %s | %s | %s | %s |",
        label.padEnd(36),
        "".padStart(8),
        "".padStart(9),
        cv.auc.toFixed(3).padEnd(30),
        chanceText(chance),
      );
    console.error(
      "  (chance: the same adversary with the labels shuffled %d times; p95 is what it reaches on nothing, p the share at least as high as the AUC)",
      CHANCE_ROUNDS,
    );
    console.error(
      "\n  honest only when it thinks it is watched, best threshold: cheats on %s %% of customer jobs and %s %% of challenges; expected net %s base units per identity (always cheat %s); first cheat → quarantine: median %s min (p90 %s) at %s jobs/min\n",
      (cheater.best.cheatCustomer * 100).toFixed(1),
      (cheater.best.cheatChallenge * 100).toFixed(1),
      Math.round(cheater.best.netPerIdentity),
      Math.round(cheater.alwaysCheat.netPerIdentity),
      cheater.best.medianMinutesToQuarantine.toFixed(1),
      cheater.best.p90MinutesToQuarantine.toFixed(1),
      jobsPerMinute.toFixed(1),
    );
    return { rows, pooled: pooledCv.auc, feeds: feedsCv.auc, hindsight: hindsightCv.auc, cheater };
  } finally {
    await stack.stop();
  }
}

/** Label shuffles per measured AUC: a rough 95th percentile (each shuffle is a full cross-validation, ~2 s pooled). */
const CHANCE_ROUNDS = 20;

/** The adversary's AUC on these examples with the labels shuffled (adversary.ts chanceOf), with progress. */
function chanceAt(what: string, ex: readonly Example[], names: readonly string[], observed: number): ChanceResult {
  progress(`stealth: ${what}: what chance scores (${CHANCE_ROUNDS} shuffles)`);
  return chanceOf(ex, names, observed, CHANCE_ROUNDS);
}

const chanceText = (c: ChanceResult) => `${c.p95.toFixed(3)} / ${c.p.toFixed(2)}`;

/** Each feature's own AUC (its values as the score), the five farthest from 0.5: what gives challenges away, if anything. */
function strongestFeatures(ex: readonly Example[], names: readonly string[]): Record<string, number> {
  const labels = ex.map((e) => e.label);
  return Object.fromEntries(
    names
      .map(
        (n) =>
          [
            n,
            auc(
              ex.map((e) => e.features[n] ?? 0),
              labels,
            ),
          ] as const,
      )
      .filter(([, a]) => Number.isFinite(a))
      .sort((a, b) => Math.abs(b[1] - 0.5) - Math.abs(a[1] - 0.5))
      .slice(0, 5)
      .map(([n, a]) => [n, Math.round(a * 1000) / 1000]),
  );
}

function oneHot(l: Lease): Record<string, number> {
  return {
    m_ocr: l.slug === "ocr-ppocr-v4" ? 1 : 0,
    m_vad: l.slug === "vad-silero-v5" ? 1 : 0,
    m_enc: l.slug === "encoder-synthetic-minilm" ? 1 : 0,
    k_texts: l.inputKind === "texts" ? 1 : 0,
    k_png: l.inputKind === "ocr-png" ? 1 : 0,
    k_jpeg: l.inputKind === "ocr-jpeg" ? 1 : 0,
    k_webp: l.inputKind === "ocr-webp" ? 1 : 0,
  };
}

/** The spy: the worker daemon's own loop, recording what it sees at each lease, then honest. */
async function startSpy(stack: Stack, pool: InferencePool) {
  const { demoRegistrationToken, stakeMinimumFor } = await import("../apps/web/src/server/services/seed/seed-demo.ts");
  const dir = mkdtempSync(join(tmpdir(), "proofgrid-spy-"));
  const config = loadConfig({
    PROOFGRID_URL: stack.url,
    PROOFGRID_NODE_DIR: dir,
    CONCURRENCY: 2,
    LOG_LEVEL: "silent",
    LEASE_WAIT_MS: 5_000,
  });
  const token = await demoRegistrationToken(stack.seed.providerOrgId, stack.url);
  const reg = await registerCommand({ config, token, name: "spy", region: "local", cuPerHour: 500 });
  await stakeMinimumFor(reg.nodeId);
  const identity = loadIdentity(dir);
  const stop = new AbortController();
  const state = { nodeId: reg.nodeId, leases: [] as Lease[], recording: false, stop, done: Promise.resolve() };
  const history: { at: number; slug: string }[] = [];
  let inFlight = 0;
  let lastFeed: Record<string, number> = {};
  // Every input the spy has run, by hash: a replayed input it had seen would give itself away.
  const seen = new Set<string>();
  const execute: JobExecutor = async (job: LeasedJob, honest) => {
    const at = Date.now();
    inFlight++;
    let recorded: { features: Record<string, number>; feed: Record<string, number> } | null = null;
    try {
      if (state.recording) {
        const measured = await measureInput(job.modelSlug, job.input);
        const prev = history.at(-1);
        const prevSame = [...history].reverse().find((h) => h.slug === job.modelSlug);
        const features: Record<string, number> = {};
        for (const [k, v] of Object.entries(measured.stats)) features[`p_${k}`] = v;
        features.p_jsonBytes = JSON.stringify(job.input).length;
        features.id_uuidVersion = Number.parseInt(job.jobId.charAt(14), 16);
        features.id_uuidVariant = Number.parseInt(job.jobId.charAt(19), 16);
        features.id_attempt = job.attempt;
        features.id_seenInput = seen.has(hashJson(job.input)) ? 1 : 0;
        features.id_leaseMs = job.leaseMs;
        features.id_expiresMsPart = Date.parse(job.leaseExpiresAt) % 1_000;
        features.t_sincePrevMs = prev ? at - prev.at : 600_000;
        features.t_sincePrevSameModelMs = prevSame ? at - prevSame.at : 600_000;
        features.t_last10s = history.filter((h) => at - h.at <= 10_000).length;
        features.t_last60s = history.filter((h) => at - h.at <= 60_000).length;
        features.t_inFlight = inFlight;
        features.t_msOfSecond = at % 1_000;
        features.t_msOf5s = at % 5_000;
        // The public feeds, polled right after the lease (what issue 12's worker did).
        const feed = await pollFeeds(stack, job.modelSlug);
        for (const [k, v] of Object.entries(feed)) {
          features[`f_${k}`] = v;
          features[`f_delta_${k}`] = v - (lastFeed[k] ?? v);
        }
        lastFeed = feed;
        state.leases.push({ jobId: job.jobId, at, slug: job.modelSlug, inputKind: measured.inputKind, features });
        recorded = { features, feed };
      }
      seen.add(hashJson(job.input));
      history.push({ at, slug: job.modelSlug });
      if (history.length > 500) history.shift();
      const result = await honest();
      if (recorded) {
        // Hindsight: the feeds again once the result is in. Too late to decide this job,
        // but a count that moved for customer jobs only would label every job afterwards
        // (a training set for the classifier).
        const after = await pollFeeds(stack, job.modelSlug);
        for (const [k, v] of Object.entries(after)) recorded.features[`h_${k}`] = v - (recorded.feed[k] ?? v);
      }
      return result;
    } finally {
      inFlight--;
    }
  };
  state.done = runWorker({
    config,
    identity,
    client: new NodeClient(identity, config.REQUEST_TIMEOUT_MS),
    pool,
    log: createLogger("silent", {}),
    stop: stop.signal,
    execute,
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  return state;
}

async function pollFeeds(stack: Stack, slug: string): Promise<Record<string, number>> {
  const [recent, live, market] = await Promise.all([
    api<{ activity: { bucket: string; model: string; jobs: number; medianDurationMs: number | null }[] }>(
      stack,
      "/api/v1/network/recent?limit=50",
      { key: null },
    ),
    api<{ jobsPerMinute: number; jobsQueued: number; cuPerHourAvailable: number }>(stack, "/api/v1/network/live", { key: null }),
    api<{ markets: { model: string; freeSlots: number; timeToResultMs: { p50: number | null; samples: number } }[] }>(
      stack,
      `/api/v1/market?model=${slug}`,
      { key: null },
    ),
  ]);
  const m = (market.body.markets ?? []).filter((x) => x.model === slug);
  const rows = recent.body.activity ?? [];
  const newest = rows[0]?.bucket;
  const mine = rows.filter((r) => r.bucket === newest && r.model === slug);
  return {
    recentRows: rows.length,
    newestBucketAgeMs: newest ? Date.now() - Date.parse(newest) : 0,
    newestModelJobs: mine.reduce((a, r) => a + r.jobs, 0),
    newestModelMedianMs: mine[0]?.medianDurationMs ?? 0,
    jobsPerMinute: live.body.jobsPerMinute ?? 0,
    jobsQueued: live.body.jobsQueued ?? 0,
    cuAvailable: live.body.cuPerHourAvailable ?? 0,
    // The public market: free slots and the count of the last hour's results of this model.
    marketFreeSlots: m.reduce((a, x) => a + x.freeSlots, 0),
    marketSamples: m.reduce((a, x) => a + x.timeToResultMs.samples, 0),
    marketP50Ms: m[0]?.timeToResultMs.p50 ?? 0,
  };
}

/** The same adversary, on payload features only, against the former generator's challenges (por templates). */
async function baselineAuc(slug: Slug, inputKind: string, customer: Example[]): Promise<number | null> {
  const old: Example[] = [];
  for (let i = 0; i < Math.max(20, Math.round(customer.length / 3)); i++) {
    const { input } = await challengeInput(slug, randomUUID().replaceAll("-", ""));
    const m = await measureInput(slug, input);
    if (m.inputKind !== inputKind) continue;
    const features: Record<string, number> = { p_jsonBytes: JSON.stringify(input).length };
    for (const [k, v] of Object.entries(m.stats)) features[`p_${k}`] = v;
    old.push({ features, label: 1 });
  }
  if (old.length < 5) return null;
  const names = Object.keys(old[0]?.features ?? {}).sort();
  return crossValidate([...customer, ...old], names).auc;
}

async function waitAdmitted(nodeId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = await sql().$queryRaw<{ admission: string }[]>`SELECT admission::text AS admission FROM nodes WHERE id = ${nodeId}::uuid`;
    if (r[0] && r[0].admission !== "pending") return;
    await sleep(500);
  }
  throw new Error("the spy was never admitted");
}

async function waitCorpus(warmupJobs: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const r = await sql().$queryRaw<{ kind: string; n: number }[]>`SELECT kind, count(*)::int AS n FROM challenge_corpus GROUP BY kind`;
    const kinds = new Map(r.map((x) => [x.kind, x.n]));
    if (
      (kinds.get("input") ?? 0) >= warmupJobs * 0.9 &&
      (kinds.get("sentence") ?? 0) > 20 &&
      (kinds.get("line") ?? 0) > 10 &&
      (kinds.get("speech") ?? 0) > 5 &&
      (kinds.get("room") ?? 0) > 5
    ) {
      progress(`stealth: private corpus ${[...kinds].map(([k, n]) => `${n} ${k}s`).join(", ")}`);
      return;
    }
    await sleep(1_000);
  }
  progress("stealth: the corpus is still thin after the warm-up; measuring anyway");
}

async function meanCustomerPrice(nodeId: string): Promise<bigint> {
  const r = await sql().$queryRaw<{ price: bigint | null }[]>`
    SELECT avg(coalesce(j.unit_price * j.cost_milli_cu / 1000, j.price))::bigint AS price FROM jobs j WHERE j.node_id = ${nodeId}::uuid AND j.purpose = 'customer'`;
  return BigInt(r[0]?.price ?? 1n);
}

async function medianCheckLatency(nodeId: string): Promise<number> {
  const r = await sql().$queryRaw<{ ms: number }[]>`
    SELECT extract(epoch FROM (c.finished_at - coalesce(j.finished_at, c.created_at))) * 1000 AS ms
    FROM checks c LEFT JOIN jobs j ON j.id = c.job_id
    WHERE c.subject_node_id = ${nodeId}::uuid AND c.status = 'done' AND c.kind <> 'registration'`;
  return r.length ? median(r.map((x) => Number(x.ms))) : 60_000;
}

async function customerRate(nodeId: string): Promise<number> {
  const r = await sql().$queryRaw<{ n: number; span_s: number }[]>`
    SELECT count(*)::int AS n, extract(epoch FROM (max(a.leased_at) - min(a.leased_at)))::float8 AS span_s
    FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE a.node_id = ${nodeId}::uuid AND j.purpose = 'customer'`;
  const x = r[0];
  return x && x.span_s > 0 ? (x.n / x.span_s) * 60 : 1;
}

/**
 * "Honest only when it thinks it is watched": a new identity cheats on every job whose
 * adversary score says customer (below a threshold), and is honest otherwise. Per job, at
 * production's rules for a new worker as its record grows (packages/por: reexecutionRate,
 * canaryRate — one challenge per customer job at that rate — the slash of slash.ts:
 * max(price, 2 × minimumSlash at the re-execution floor), capped by minimumStake of a
 * reference worker): a cheated customer job earns the worker's payout g unless its
 * re-execution catches it; a cheated challenge is always caught. Caught = slashed and
 * quarantined (one fraud). Scores are drawn from the out-of-fold scores of each class.
 * The adversary picks the threshold that pays best.
 */
export function simulateCheater(opts: {
  scored: { label: 0 | 1; score: number }[];
  price: bigint;
  jobsPerMinute: number;
  checkLatencyMs: number;
  identities?: number;
}) {
  const customer = opts.scored.filter((s) => s.label === 0).map((s) => s.score);
  const challenge = opts.scored.filter((s) => s.label === 1).map((s) => s.score);
  const g = Number(splitReward(opts.price).worker);
  const floor = DEFAULT_SAMPLING_POLICY.reexecution.floor;
  const slash = Math.min(
    Math.max(Number(opts.price), Math.ceil(minimumSlash({ gainPerJob: g, recheckRate: floor }) * 2)),
    Number(minimumStake(3_600, DEFAULT_STAKE_POLICY)),
  );
  const identities = opts.identities ?? 1_000;
  // A reputation of 0.9 throughout: the rates of a worker whose record looks good, which
  // favours the cheater (a new identity starts at 0.5 and is checked more).
  const rep = 0.9;
  const MAX_JOBS = 20_000;
  const run = (threshold: number) => {
    let net = 0;
    const minutes: number[] = [];
    let cheatC = 0;
    let seenC = 0;
    let cheatH = 0;
    let seenH = 0;
    for (let k = 0; k < identities; k++) {
      let earned = 0;
      let completed = 0;
      let firstCheatAt: number | null = null;
      let caughtAt: number | null = null;
      for (let job = 0; job < MAX_JOBS && caughtAt === null; job++) {
        const p = reexecutionRate({ reputation: rep, completedJobs: completed, policy: DEFAULT_SAMPLING_POLICY });
        const c = canaryRate({ reputation: rep, completedJobs: completed, policy: DEFAULT_SAMPLING_POLICY });
        const isChallenge = Math.random() < c / (1 + c);
        const score = pick(isChallenge ? challenge : customer);
        const cheats = score < threshold;
        if (isChallenge) {
          seenH++;
          if (cheats) cheatH++;
        } else {
          seenC++;
          if (cheats) cheatC++;
        }
        if (cheats && firstCheatAt === null) firstCheatAt = job;
        if (cheats && (isChallenge || Math.random() < p)) caughtAt = job;
        else if (cheats) earned += g;
        completed++;
      }
      net += earned - (caughtAt !== null ? slash : 0);
      if (caughtAt !== null && firstCheatAt !== null)
        minutes.push((caughtAt - firstCheatAt + 1) / opts.jobsPerMinute + opts.checkLatencyMs / 60_000);
    }
    return {
      threshold,
      netPerIdentity: net / identities,
      cheatCustomer: seenC ? cheatC / seenC : 0,
      cheatChallenge: seenH ? cheatH / seenH : 0,
      caughtShare: minutes.length / identities,
      medianMinutesToQuarantine: minutes.length ? median(minutes) : Number.POSITIVE_INFINITY,
      p90MinutesToQuarantine: minutes.length
        ? ([...minutes].sort((a, b) => a - b)[Math.floor(minutes.length * 0.9)] ?? 0)
        : Number.POSITIVE_INFINITY,
    };
  };
  const sorted = [...customer].sort((a, b) => a - b);
  const thresholds = [0.1, 0.25, 0.5, 0.75, 0.9, 1].map((q) =>
    q >= 1 ? Number.POSITIVE_INFINITY : (sorted[Math.floor(q * (sorted.length - 1))] as number),
  );
  const results = thresholds.map(run);
  const best = results.reduce((a, b) => (b.netPerIdentity > a.netPerIdentity ? b : a));
  return { g, slash, best, alwaysCheat: results.at(-1) as (typeof results)[number], thresholds: results };
}
