import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashJson, type Receipt, verifyReceipt } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerConfig } from "../config.ts";
import type { InferencePool } from "../inference/inference-pool.ts";
import { ModelCache } from "../models/model-cache.ts";
import { NodeClient, sleep } from "../protocol/node-client.ts";
import { type JobExecutor, runWorker } from "./run-worker.ts";
import { captureLog, type JobOffer, testConfig, useFakePlatform, vadJob, waitFor, warmPool } from "./testing/fake-platform.ts";

// The worker daemon's lifecycle as a provider relies on it, seen from the platform's side:
// a real NodeClient, node identity and inference pool (Silero VAD) against a scripted
// platform on loopback. Where a test needs a job to stay running, `execute` (the daemon's
// own injection point) runs the job honestly and then holds its result until the test lets go.

const SHORT = {
  CONCURRENCY: 1,
  INTRA_OP_THREADS: 1,
  LEASE_WAIT_MS: 200,
  HEARTBEAT_INTERVAL_MS: 100,
  SHUTDOWN_GRACE_MS: 2_000,
  REQUEST_TIMEOUT_MS: 1_000,
  RETRY_MAX_DELAY_MS: 200,
} satisfies Partial<Record<keyof WorkerConfig, number>>;

let vad: JobOffer;
let pool: InferencePool;
const { fake, node, track } = useFakePlatform();

beforeAll(async () => {
  vad = await vadJob();
  pool = await warmPool(testConfig(tmpdir(), SHORT), vad);
}, 60_000);
afterAll(() => pool.close());

/** Starts the daemon as `start` does (runWorker with a NodeClient on the loaded identity). */
function startWorker(overrides: Partial<Record<keyof WorkerConfig, number>> = {}, execute?: JobExecutor) {
  const config = testConfig(node().dir, { ...SHORT, PROOFGRID_URL: fake().url, ...overrides });
  const { log, lines, count } = captureLog();
  const stop = new AbortController();
  const identity = node().identity;
  const client = new NodeClient(identity, config.REQUEST_TIMEOUT_MS);
  const done = runWorker({ config, identity, client, pool, log, stop: stop.signal, execute });
  track({ stop, done });
  return { stop, done, lines, count };
}

/** An executor that runs each job honestly, then holds its result until `release()`. */
function heldJobs() {
  const started: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const execute: JobExecutor = async (job, honest) => {
    started.push(job.jobId);
    const res = await honest();
    await released;
    return res;
  };
  return {
    execute,
    started,
    release,
    waitStarted: (jobId: string) => waitFor(() => started.includes(jobId), 4_000, `job ${jobId} to start`),
  };
}

const forJob = (jobId: string) => (r: { body: Record<string, unknown> }) => r.body.jobId === jobId;
const namesJob = (jobId: string) => (r: { body: Record<string, unknown> }) =>
  (r.body.leases as { jobId: string }[]).some((l) => l.jobId === jobId);

describe("the worker daemon's lifecycle", () => {
  it("leases a job, runs it and completes it with a receipt the node's key verifies", async () => {
    startWorker();
    const jobId = fake().offerJob({ ...vad, attempt: 3 });

    const complete = await fake().waitForRequest("/api/node/complete", forJob(jobId));
    expect(complete.body.attempt).toBe(3);
    // The model really ran on the job's input: the output is what the pool gives for it.
    const direct = await pool.run(vad.modelSlug, vad.input);
    expect(direct.ok && direct.output).toEqual(complete.body.output);
    const receipt = complete.body.receipt as Receipt;
    expect(receipt).toMatchObject({
      jobId,
      attempt: 3,
      modelId: vad.modelId,
      inputHash: hashJson(vad.input),
      outputHash: hashJson(complete.body.output),
      nodeId: node().identity.nodeId,
    });
    expect(verifyReceipt(receipt, node().identity.publicKey)).toBe(true);
    expect(verifyReceipt(receipt, fake().platformKeys.publicKey)).toBe(false);
    await waitFor(() => fake().jobs.get(jobId)?.state === "completed", 2_000, "the platform to accept the result");
    expect(fake().requests("/api/node/fail")).toEqual([]);
  });

  it("reports as warm the models it ran, an uploaded one only while its file is still in the disk cache", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warm-report-"));
    const uploadedId = "c".repeat(64);
    // The cache holds nothing: as after the uploaded model's file was evicted.
    const models = new ModelCache({ dir, maxBytes: 1024, fetchRange: async () => null });
    // The executor stands in for the run (this test is about what the heartbeat says).
    const ran = (job: { modelId: string }) => ({ id: 0, ok: true as const, output: { ran: job.modelId }, inferenceMs: 1 });
    const config = testConfig(node().dir, { ...SHORT, PROOFGRID_URL: fake().url });
    const stop = new AbortController();
    const client = new NodeClient(node().identity, config.REQUEST_TIMEOUT_MS);
    const done = runWorker({
      config,
      identity: node().identity,
      client,
      pool,
      models,
      log: captureLog().log,
      stop: stop.signal,
      execute: async (job) => ran(job),
    });
    track({ stop, done });
    const custom = {
      modelId: uploadedId,
      signature: { inputs: [{ name: "x", elemType: "float32", shape: [1], dynamic: {} }], outputs: [{ name: "y", elemType: "float32" }] },
      fileBytes: 10,
      deterministic: true,
    };
    const a = fake().offerJob(vad);
    const b = fake().offerJob({ modelId: uploadedId, modelSlug: `custom-${uploadedId.slice(0, 12)}`, input: {}, custom });
    await fake().waitForRequest("/api/node/complete", forJob(a));
    await fake().waitForRequest("/api/node/complete", forJob(b));
    const after = fake().requests("/api/node/heartbeat").length;
    await waitFor(() => fake().requests("/api/node/heartbeat").length > after + 1, 2_000, "two more heartbeats");
    const last = fake().requests("/api/node/heartbeat").at(-1)?.body as { loadedModels: string[] };
    expect(last.loadedModels).toContain(vad.modelId);
    expect(last.loadedModels).not.toContain(uploadedId);
  });

  it("renews a held lease with heartbeats while a slow job runs, past the lease's first expiry", async () => {
    const held = heldJobs();
    // No fixed interval: the daemon heartbeats three times per lease it was granted.
    startWorker({ HEARTBEAT_INTERVAL_MS: 0 }, held.execute);
    const jobId = fake().offerJob({ ...vad, leaseMs: 1_500 });
    await held.waitStarted(jobId);
    const firstExpiry = Date.parse(fake().jobs.get(jobId)?.job.leaseExpiresAt ?? "");

    await waitFor(() => Date.now() > firstExpiry + 300, 4_000, "the first lease to run out");
    held.release();
    const complete = await fake().waitForRequest("/api/node/complete", forJob(jobId));

    const beats = fake().requests("/api/node/heartbeat").filter(namesJob(jobId));
    expect(beats.length).toBeGreaterThanOrEqual(3);
    for (const b of beats) expect(b.body.leases).toContainEqual({ jobId, attempt: 1 });
    // Never a gap in which the lease could run out, from the lease to the completion.
    const times = [firstExpiry - 1_500, ...beats.map((b) => b.at), complete.at];
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThan(1_500);
    // The platform accepted it: the lease was still held when the result came, after the first expiry.
    expect(complete.at).toBeGreaterThan(firstExpiry);
    await waitFor(() => fake().jobs.get(jobId)?.state === "completed", 2_000, "the platform to accept the result");
  });

  it("abandons a job when a heartbeat reply says its lease is gone: no completion is sent", async () => {
    const held = heldJobs();
    const w = startWorker({}, held.execute);
    const jobId = fake().offerJob(vad);
    await held.waitStarted(jobId);

    fake().loseLease(jobId);
    await waitFor(() => w.count("lease lost; abandoning job") > 0, 2_000, "the daemon to learn the lease is lost");
    const releasedAt = Date.now();
    held.release();
    // The slot asks for work again only once it has dropped the job.
    await fake().waitForRequest("/api/node/lease", (r) => r.at > releasedAt);

    expect(fake().requests("/api/node/complete").filter(forJob(jobId))).toEqual([]);
    expect(fake().requests("/api/node/fail").filter(forJob(jobId))).toEqual([]);
  });

  it("stops gracefully: leases nothing after stop, completes the running job within the grace period, then resolves", async () => {
    const held = heldJobs();
    const w = startWorker({ SHUTDOWN_GRACE_MS: 3_000 }, held.execute);
    const jobId = fake().offerJob(vad);
    await held.waitStarted(jobId);

    const stoppedAt = Date.now();
    w.stop.abort();
    await sleep(300);
    // A job offered now must not be leased: the daemon is going away.
    fake().offerJob(vad);
    held.release();
    await w.done;

    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    expect(
      fake()
        .requests("/api/node/lease")
        .filter((r) => r.at >= stoppedAt),
    ).toEqual([]);
    expect(fake().requests("/api/node/complete").filter(forJob(jobId))).toHaveLength(1);
    expect(fake().jobs.get(jobId)?.state).toBe("completed");
    expect(fake().requests("/api/node/fail")).toEqual([]);
    expect(fake().jobs.size).toBe(1);
  });

  it("hands back a job still running when the grace period ends, and resolves", async () => {
    const held = heldJobs();
    const w = startWorker({ SHUTDOWN_GRACE_MS: 300 }, held.execute);
    const jobId = fake().offerJob({ ...vad, attempt: 2 });
    await held.waitStarted(jobId);

    const stoppedAt = Date.now();
    w.stop.abort();
    await w.done;

    const [release, ...more] = fake().requests("/api/node/fail");
    expect(more).toEqual([]);
    expect(release?.body).toMatchObject({ jobId, attempt: 2, kind: "release", retryable: true });
    expect(release!.at - stoppedAt).toBeGreaterThanOrEqual(300);
    expect(fake().jobs.get(jobId)?.state).toBe("queued");
    // The job's result, arriving after the hand-back, is dropped: the job is someone else's now.
    held.release();
    await sleep(300);
    expect(fake().requests("/api/node/complete")).toEqual([]);
  });

  it("backs off while the platform is unreachable or answers 503, then leases and completes once it is back", async () => {
    await fake().goDown();
    const w = startWorker();
    await waitFor(() => w.count("platform unreachable; backing off") >= 3, 4_000, "the daemon to retry the closed platform");

    let unavailable = 3;
    fake().script("/api/node/lease", () => (unavailable-- > 0 ? { status: 503, code: "UNAVAILABLE", message: "starting up" } : undefined));
    await fake().comeBack();
    const jobId = fake().offerJob(vad);
    await fake().waitForRequest("/api/node/complete", forJob(jobId));
    await waitFor(() => fake().jobs.get(jobId)?.state === "completed", 2_000, "the platform to accept the result");

    // Every retry waited (capped exponential backoff with jitter), counting up from the first.
    const backoffs = w.lines.filter((l) => l.msg === "platform unreachable; backing off");
    expect(backoffs.length).toBeGreaterThanOrEqual(6);
    for (const b of backoffs) expect(b.delayMs).toBeLessThanOrEqual(SHORT.RETRY_MAX_DELAY_MS);
    expect(backoffs.map((b) => b.n).slice(0, 3)).toEqual([1, 2, 3]);
    // Three 503s answered, then the lease that brought the job.
    expect(fake().requests("/api/node/lease").length).toBeGreaterThanOrEqual(4);
    // Unreachable is not a refusal, and nothing crashed: the daemon still stops cleanly.
    expect(w.count("lease refused")).toBe(0);
    w.stop.abort();
    await expect(w.done).resolves.toBeUndefined();
  });
});
