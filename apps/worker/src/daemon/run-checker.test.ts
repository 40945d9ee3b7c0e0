import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { capabilityInput } from "@proofgrid/models/capability-input";
import { challengeInput } from "@proofgrid/models/challenge-input";
import { type CheckReport, type CheckTask, deliveredCuPerHour, generateNodeKeyPair, hashJson, verifyCheckReport } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerConfig } from "../config.ts";
import type { InferencePool } from "../inference/inference-pool.ts";
import { NodeClient } from "../protocol/node-client.ts";
import { runChecker } from "./run-checker.ts";
import { captureLog, type JobOffer, testConfig, useFakePlatform, vadJob, waitFor, warmPool } from "./testing/fake-platform.ts";

// The checker role against a scripted platform on loopback: it leases checks, re-runs every
// item on the real inference pool (Silero VAD), and reports verdicts signed with its node key.
// The subject's outputs are made here with the same pool, honestly or tampered with.

const SHORT = {
  CONCURRENCY: 1,
  INTRA_OP_THREADS: 1,
  LEASE_WAIT_MS: 200,
  REQUEST_TIMEOUT_MS: 1_000,
  RETRY_MAX_DELAY_MS: 200,
} satisfies Partial<Record<keyof WorkerConfig, number>>;

type VadOutput = { segments: { start: number; end: number }[]; durationSec: number };

let vad: JobOffer;
let honestOutput: VadOutput;
let pool: InferencePool;
const { fake, node, track } = useFakePlatform();

beforeAll(async () => {
  vad = await vadJob();
  pool = await warmPool(testConfig(tmpdir(), SHORT), vad);
  honestOutput = await outputOf(vad.input);
}, 60_000);
afterAll(() => pool.close());

async function outputOf(input: unknown): Promise<VadOutput> {
  const r = await pool.run(vad.modelSlug, input);
  if (!r.ok) throw new Error(r.error);
  return r.output as VadOutput;
}

/** Starts the checker as `start --role checker` does. */
function startChecker(overrides: Partial<Record<keyof WorkerConfig, number>> = {}) {
  const config = testConfig(node().dir, { ...SHORT, PROOFGRID_URL: fake().url, ...overrides });
  const { log, lines, count } = captureLog();
  const stop = new AbortController();
  const client = new NodeClient(node().identity, config.REQUEST_TIMEOUT_MS);
  const done = runChecker({ config, identity: node().identity, client, pool, log, stop: stop.signal });
  track({ stop, done });
  return { stop, done, lines, count };
}

function reexecution(items: { input?: unknown; seed?: string; output: unknown }[], attempt = 1): CheckTask {
  return {
    checkId: randomUUID(),
    attempt,
    kind: "reexecution",
    items: items.map((i) => ({ ref: randomUUID(), modelSlug: vad.modelSlug, costMilliCu: 10, ...i })),
    leaseMs: 60_000,
  };
}

const reportFor = (checkId: string) => fake().waitForRequest("/api/node/checks/report", (r) => r.body.checkId === checkId);

describe("the checker daemon", () => {
  it("re-executes each item and reports signed verdicts with its own outputs as evidence", async () => {
    startChecker();
    const shifted = {
      ...honestOutput,
      segments: honestOutput.segments.map((s) => ({ start: s.start + 0.5, end: s.end + 0.5 })),
    };
    expect(honestOutput.segments.length).toBeGreaterThan(0);
    const task = reexecution(
      [
        { input: vad.input, output: honestOutput },
        { input: vad.input, output: shifted },
      ],
      2,
    );
    fake().offerCheck(task);

    const report = (await reportFor(task.checkId)).body as CheckReport;
    expect(report.attempt).toBe(2);
    expect(report.items.map((i) => [i.ref, i.match])).toEqual([
      [task.items[0]!.ref, true],
      [task.items[1]!.ref, false],
    ]);
    expect(report.items[1]!.reason).not.toBe("");
    // Its evidence is its own run: the honest output, hashed as signed.
    for (const item of report.items) {
      expect(item.output).toEqual(honestOutput);
      expect(item.outputHash).toBe(hashJson(honestOutput));
    }
    expect(report.measuredCuPerHour).toBeUndefined();
    expect(verifyCheckReport(report, node().identity.publicKey)).toBe(true);
    expect(verifyCheckReport(report, generateNodeKeyPair().publicKey)).toBe(false);
  });

  it("renders a challenge's input from its seed, and measures delivered CU/h when the check claims one", async () => {
    startChecker();
    const seed = "checker-test-seed-0001";
    const capabilitySeed = "checker-test-seed-0002";
    const items = [
      { seed, generator: "challenge" as const, output: await outputOf((await challengeInput("vad-silero-v5", seed)).input), wallMs: 120 },
      {
        seed: capabilitySeed,
        generator: "capability" as const,
        output: await outputOf(await capabilityInput("vad-silero-v5", capabilitySeed)),
        wallMs: 80,
      },
    ];
    const task: CheckTask = { ...reexecution(items), kind: "challenge", claimedCuPerHour: 1_000 };
    fake().offerCheck(task);

    const report = (await reportFor(task.checkId)).body as CheckReport;
    expect(report.items.map((i) => i.match)).toEqual([true, true]);
    expect(report.items.map((i) => i.outputHash)).toEqual(items.map((i) => hashJson(i.output)));
    expect(report.measuredCuPerHour).toBe(
      Math.round(deliveredCuPerHour(task.items as { modelSlug: string; costMilliCu: number; wallMs: number }[])),
    );
    expect(verifyCheckReport(report, node().identity.publicKey)).toBe(true);
  });

  it("reports nothing for a check it cannot run, and goes on to the next", async () => {
    const c = startChecker();
    const broken = reexecution([{ output: honestOutput }]);
    const good = reexecution([{ input: vad.input, output: honestOutput }]);
    fake().offerCheck(broken);
    fake().offerCheck(good);

    await reportFor(good.checkId);
    expect(
      fake()
        .requests("/api/node/checks/report")
        .map((r) => r.body.checkId),
    ).toEqual([good.checkId]);
    const failed = c.lines.find((l) => l.msg === "check failed; its lease will expire and another checker takes it");
    expect(failed).toMatchObject({ checkId: broken.checkId, level: 50 });
    expect(String(failed?.err)).toMatch(/neither input nor seed/);
  });

  it("logs a report refused for a lost lease (409) once, without retrying it, and leases again", async () => {
    fake().script("/api/node/checks/report", () => ({
      status: 409,
      code: "CONFLICT",
      message: "lease lost: check is leased at attempt 2",
    }));
    const c = startChecker();
    const task = reexecution([{ input: vad.input, output: honestOutput }]);
    fake().offerCheck(task);

    const sent = await reportFor(task.checkId);
    await waitFor(() => c.count("check lease lost") > 0, 2_000, "the lost lease to be logged");
    await fake().waitForRequest("/api/node/checks/lease", (r) => r.at > sent.at);
    expect(fake().requests("/api/node/checks/report")).toHaveLength(1);
  });
});
