import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerArgs } from "../../scripts/lib/processes.ts";
import { splitReward } from "@proofgrid/por";
import { renderTextPng } from "../support/inputs.ts";
import { ledgerSnapshot } from "../support/ledger.ts";
import { speechRecording } from "../support/speech.ts";
import { api, type Stack, startStack } from "../support/stack.ts";

const METRICS_TOKEN = "test-metrics-token-0123456789";

interface Job {
  id: string;
  state: string;
  price: string;
  attempt: number;
  output?: unknown;
  receipt?: { signature: string; platformSignature?: string } | null;
  workerId: string | null;
}

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000, env: { METRICS_TOKEN: METRICS_TOKEN } });
  await stack.addWorker("w1");
});
afterAll(async () => {
  await stack?.stop();
});

async function runJob(model: string, input: unknown): Promise<Job> {
  const submitted = await api<Job>(stack, "/api/v1/jobs", { body: { model, input } });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
  expect(submitted.body.state).toBe("queued");
  const done = await api<Job>(stack, `/api/v1/jobs/${submitted.body.id}?wait=60000`);
  expect(done.status).toBe(200);
  expect(done.body.state, JSON.stringify(done.body)).toBe("succeeded");
  return done.body;
}

describe("a job from an API key to a worker to the ledger", () => {
  const jobs: Job[] = [];

  it("reads back text rendered in the test with real PP-OCRv4 on a real worker", async () => {
    const lines = ["PROOFGRID 2026", "verified inference"];
    const png = await renderTextPng(lines);
    const job = await runJob("ocr-ppocr-v4", { image: png.toString("base64") });
    jobs.push(job);
    const out = job.output as { lines: { text: string; confidence: number; box: [number, number][] }[] };
    expect(out.lines.map((l) => l.text)).toEqual(lines);
    for (const l of out.lines) {
      expect(l.confidence).toBeGreaterThan(0.8);
      expect(l.box).toHaveLength(4);
    }
    expect(job.workerId).toBe(stack.workers[0]?.nodeId);
    expect(job.receipt?.signature).toBeTruthy();
    expect(job.receipt?.platformSignature).toBeTruthy();
  });

  it("finds the speech in a generated recording with Silero VAD", async () => {
    const rec = speechRecording();
    const job = await runJob("vad-silero-v5", { audio: rec.wav.toString("base64") });
    jobs.push(job);
    const out = job.output as { segments: { start: number; end: number }[] };
    expect(out.segments.length).toBeGreaterThanOrEqual(rec.speech.length);
    // Every segment lies inside a stretch of speech (±0.3 s): none in the silences.
    for (const seg of out.segments) {
      expect(
        rec.speech.some((s) => seg.start >= s.start - 0.3 && seg.end <= s.end + 0.3),
        JSON.stringify(seg),
      ).toBe(true);
    }
    // Each stretch of speech is found, from about its start to about its end.
    for (const s of rec.speech) {
      const inside = out.segments.filter((seg) => seg.start >= s.start - 0.3 && seg.end <= s.end + 0.3);
      expect(inside.length, JSON.stringify(s)).toBeGreaterThan(0);
      expect(Math.abs((inside[0]?.start ?? 0) - s.start)).toBeLessThan(0.3);
      expect(Math.abs((inside.at(-1)?.end ?? 0) - s.end)).toBeLessThan(0.3);
    }
  });

  it("returns a vector of the declared size from the synthetic encoder", async () => {
    const job = await runJob("encoder-synthetic-minilm", { text: "hello proofgrid" });
    jobs.push(job);
    const out = job.output as { dim: number; vectors: number[][] };
    expect(out.dim).toBe(384);
    expect(out.vectors).toHaveLength(1);
    expect(out.vectors[0]).toHaveLength(384);
    expect(out.vectors[0]?.every(Number.isFinite)).toBe(true);
  });

  it("a synchronous submit (?wait= or Prefer: wait) answers the finished job in one request; a bad wait creates nothing", async () => {
    const submit = (query: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${stack.url}/api/v1/jobs${query}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.apiKey}`, ...headers },
        body: JSON.stringify(body),
      });
    const byQuery = await submit("?wait=60000", { model: "encoder-synthetic-minilm", input: { text: "one request" } });
    expect(byQuery.status).toBe(201);
    const a = (await byQuery.json()) as Job;
    expect(a.state, JSON.stringify(a)).toBe("succeeded");
    expect((a.output as { vectors: number[][] }).vectors[0]).toHaveLength(384);
    expect(a.receipt?.signature).toBeTruthy();
    jobs.push(a);

    const key = `sync-${Date.now()}`;
    const body = { model: "encoder-synthetic-minilm", input: { text: "by preference" } };
    const byPrefer = await submit("", body, { prefer: "wait=30", "idempotency-key": key });
    expect(byPrefer.status).toBe(201);
    expect(byPrefer.headers.get("preference-applied")).toBe("wait=30");
    const b = (await byPrefer.json()) as Job;
    expect(b.state).toBe("succeeded");
    jobs.push(b);
    // The retry replays the first answer's job, read again: finished, the same job, not a second one.
    const again = await submit("", body, { prefer: "wait=30", "idempotency-key": key });
    const c = (await again.json()) as Job;
    expect(c.id).toBe(b.id);
    expect(c.state).toBe("succeeded");
    expect(c.output).toEqual(b.output);

    // Without a wait the answer is at once, the job queued (or further along).
    const noWait = await submit("?wait=0", { model: "encoder-synthetic-minilm", input: { text: "no wait" } });
    expect(noWait.status).toBe(201);
    const d = (await noWait.json()) as Job;
    expect(["queued", "assigned", "running", "succeeded"]).toContain(d.state);
    const dDone = await api<Job>(stack, `/api/v1/jobs/${d.id}?wait=60000`);
    expect(dDone.body.state).toBe("succeeded");
    jobs.push(dDone.body);

    const before = await api<{ jobs: Job[] }>(stack, "/api/v1/jobs?limit=100");
    for (const bad of ["?wait=abc", "?wait=60001", "?wait=-5"]) {
      const r = await submit(bad, { model: "encoder-synthetic-minilm", input: { text: "refused" } });
      expect(r.status, bad).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/wait/);
    }
    const after = await api<{ jobs: Job[] }>(stack, "/api/v1/jobs?limit=100");
    expect(after.body.jobs.map((j) => j.id)).toEqual(before.body.jobs.map((j) => j.id));
  });

  it("charged the customer exactly the price and paid the provider once, in balanced transfers", async () => {
    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    const total = jobs.reduce((s, j) => s + BigInt(j.price), 0n);
    expect(total).toBeGreaterThan(0n);
    expect(snap.available).toBe(1_000_000_000n - total);
    expect(snap.held).toBe(0n);
    const workerShare = jobs.reduce((s, j) => s + splitReward(BigInt(j.price)).worker, 0n);
    expect(snap.providerEarnings).toBe(workerShare);
    expect(snap.providerEarnings + snap.checkerPool + snap.protocolFee).toBe(total);
    expect(snap.transfersByKind.settle).toBe(jobs.length);
    expect(snap.check.ok).toBe(true);
    expect(snap.check.unbalancedTransfers).toEqual([]);

    const balance = await api<{ available: string; held: string }>(stack, "/api/v1/balance");
    expect(balance.body.available).toBe(snap.available.toString());
  });

  it("a receipt verifies offline with the public keys, and a tampered one does not", async () => {
    const job = jobs[0];
    expect(job).toBeDefined();
    const keys = await api<{ platform: string; node: { publicKey: string } }>(stack, `/api/v1/public-keys?node=${job?.workerId}`, {
      key: null,
    });
    expect(keys.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), "receipt-"));
    const good = join(dir, "job.json");
    writeFileSync(good, JSON.stringify(job));
    const verify = (file: string) =>
      spawnSync(
        process.execPath,
        workerArgs(["verify-receipt", file, "--worker-key", keys.body.node.publicKey, "--platform-key", keys.body.platform]),
        { encoding: "utf8" },
      );
    const ok = verify(good);
    const verdict = JSON.parse(ok.stdout) as { valid: boolean; checks: { check: string; ok: boolean | null }[] };
    expect(verdict.valid).toBe(true);
    expect(verdict.checks.filter((c) => c.ok !== true).map((c) => c.check)).toEqual(["input"]); // no --input given
    expect(ok.status).toBe(0);
    const bad = join(dir, "tampered.json");
    writeFileSync(bad, JSON.stringify({ ...job, receipt: { ...(job?.receipt ?? {}), outputHash: "0".repeat(64) } }));
    const refused = verify(bad);
    expect(JSON.parse(refused.stdout).valid).toBe(false);
    expect(refused.status).toBe(1);
  });

  it("the landing page shows the network live: the worker online and the jobs it ran", async () => {
    const res = await fetch(`${stack.url}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Workers online");
    expect(html).toMatch(/1<!-- -->\s*\/\s*<!-- -->1|1 \/ 1/);
    expect(html).toContain("Jobs finished per minute");
    expect(html).toContain("Verification (Proof of Render)");
    expect(html).toContain("encoder-synthetic-minilm");
  });

  it("exposes Prometheus metrics to the holder of METRICS_TOKEN only: counters, lease latency, estimated jobs and nodes", async () => {
    expect((await fetch(`${stack.url}/api/metrics`)).status).toBe(401);
    expect((await fetch(`${stack.url}/api/metrics`, { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
    // The estimates come from Postgres's statistics, which autovacuum refreshes; ANALYZE now.
    const { sql } = await import("@proofgrid/db/sql-client");
    await sql().$executeRaw`ANALYZE jobs, nodes`;
    const res = await fetch(`${stack.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain(`proofgrid_jobs_estimated{state="succeeded"} ${jobs.length}\n`);
    expect(text).toMatch(/proofgrid_jobs_submitted_total \d+/);
    expect(text).toMatch(/proofgrid_lease_latency_seconds_count \d+/);
    expect(text).toMatch(/proofgrid_nodes_estimated\{status="online"\} 1/);
    // The worker's requests came on its node session (one WebSocket), not as signed HTTP.
    expect(Number(/proofgrid_node_sessions_open (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/proofgrid_node_session_frames_total\{outcome="served"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
