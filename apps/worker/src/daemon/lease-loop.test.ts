import { type LeasedJob, ZLeaseReply } from "@proofgrid/por";
import { describe, expect, it } from "vitest";
import type { WorkerConfig } from "../config.ts";
import { NodeClient, sleep } from "../protocol/node-client.ts";
import { leaseLoop } from "./lease-loop.ts";
import { captureLog, testConfig, useFakePlatform, vadJob, waitFor } from "./testing/fake-platform.ts";

// One slot's lease loop against a scripted platform on loopback, configured as runWorker
// configures it (the lease path, ZLeaseReply, `reply.job`). `run` only records what it is
// handed: what matters here is what reaches it, and how often the platform is asked.

const SHORT = {
  LEASE_WAIT_MS: 200,
  REQUEST_TIMEOUT_MS: 1_000,
  RETRY_MAX_DELAY_MS: 300,
} satisfies Partial<Record<keyof WorkerConfig, number>>;

const { fake, node, track } = useFakePlatform();

function startLoop(overrides: Partial<Record<keyof WorkerConfig, number>> = {}) {
  const config = testConfig(node().dir, { ...SHORT, PROOFGRID_URL: node().identity.url, ...overrides });
  const { log, lines, count } = captureLog();
  const stop = new AbortController();
  const ran: LeasedJob[] = [];
  const done = leaseLoop({
    client: new NodeClient(node().identity, config.REQUEST_TIMEOUT_MS),
    config,
    log,
    stop: stop.signal,
    slot: 0,
    path: "/api/node/lease",
    waitMs: config.LEASE_WAIT_MS,
    reply: ZLeaseReply,
    take: (reply) => reply.job,
    run: async (job) => {
      ran.push(job);
    },
  });
  track({ stop, done });
  return { stop, done, ran, lines, count };
}

describe("the lease loop", () => {
  it("logs a 403 refusal and asks again only after RETRY_MAX_DELAY_MS: no crash, no tight loop", async () => {
    let quarantined = true;
    fake().script("/api/node/lease", () => (quarantined ? { status: 403, code: "FORBIDDEN", message: "node is quarantined" } : undefined));
    const loop = startLoop();
    await sleep(1_500);

    const asked = fake().requests("/api/node/lease");
    // One ask per 300 ms window (at 0, 300, 600, 900, 1200 ms, give or take a slow machine).
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(asked.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < asked.length; i++) expect(asked[i]!.at - asked[i - 1]!.at).toBeGreaterThanOrEqual(SHORT.RETRY_MAX_DELAY_MS - 5);
    const refusals = loop.lines.filter((l) => l.msg === "lease refused");
    expect(refusals.length).toBe(asked.length);
    expect(refusals[0]).toMatchObject({ level: 50, slot: 0 });
    expect(String(refusals[0]?.err)).toMatch(/403 node is quarantined/);
    expect(loop.ran).toEqual([]);

    // Fixed on the platform's side: the same loop, never restarted, leases again.
    quarantined = false;
    const jobId = fake().offerJob(await vadJob());
    await waitFor(() => loop.ran.find((j) => j.jobId === jobId), 2_000, "the job to be leased after the quarantine");
  });

  it("refuses a lease reply that is not the protocol's shape: nothing runs, and the loop goes on", async () => {
    const vad = await vadJob();
    // A job in every way but one: a zero lease, which the protocol forbids.
    const malformed = JSON.stringify({
      job: { jobId: crypto.randomUUID(), attempt: 1, ...vad, leaseExpiresAt: new Date().toISOString(), leaseMs: 0 },
    });
    expect(ZLeaseReply.safeParse(JSON.parse(malformed)).success).toBe(false);
    let malformedLeft = 1;
    fake().script("/api/node/lease", () => (malformedLeft-- > 0 ? { offProtocol: malformed } : undefined));

    const loop = startLoop();
    await waitFor(() => loop.count("lease refused") > 0, 2_000, "the malformed reply to be refused");
    expect(String(loop.lines.find((l) => l.msg === "lease refused")?.err)).toMatch(
      /\/api\/node\/lease: the platform's reply does not match the node protocol[\s\S]*leaseMs/,
    );
    const jobId = fake().offerJob(vad);
    await waitFor(() => loop.ran.length > 0, 2_000, "the next job to be leased");

    expect(loop.ran.map((j) => j.jobId)).toEqual([jobId]);
    // Not retried at once: a malformed reply waits out the longest backoff, like a refusal.
    const [first, second] = fake().requests("/api/node/lease");
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(SHORT.RETRY_MAX_DELAY_MS - 5);
  });

  it("asks again at once when a long poll ends empty", async () => {
    const loop = startLoop();
    await sleep(1_100);
    const asked = fake().requests("/api/node/lease");
    // Each poll is held its 200 ms, then the next follows without a backoff.
    expect(asked.length).toBeGreaterThanOrEqual(4);
    expect(asked.length).toBeLessThanOrEqual(7);
    for (const a of asked) expect(a.body.waitMs).toBe(SHORT.LEASE_WAIT_MS);
    expect(loop.count("lease refused")).toBe(0);
    expect(loop.ran).toEqual([]);
  });

  it("ends a held long poll as soon as it is stopped", async () => {
    const loop = startLoop({ LEASE_WAIT_MS: 10_000 });
    await fake().waitForRequest("/api/node/lease");
    const stoppedAt = Date.now();
    loop.stop.abort();
    await loop.done;
    expect(Date.now() - stoppedAt).toBeLessThan(500);
    expect(fake().requests("/api/node/lease")).toHaveLength(1);
    // A job offered once the platform has seen the hang-up stays with the platform.
    const vad = await vadJob();
    await sleep(100);
    fake().offerJob(vad);
    await sleep(100);
    expect(loop.ran).toEqual([]);
    expect(fake().jobs.size).toBe(0);
  });
});
