import { afterAll, describe, expect, it } from "vitest";
import { InferencePool } from "./inference-pool.ts";

// Issue 11's poison scenarios at the worker: an inference that hangs, one that crashes its
// thread, one that grows past the heap bound. Each fails its own job with the reason; the
// pool (and so the daemon's process) lives and the next job runs on a fresh thread.

const pool = new InferencePool(
  1,
  { intraOpNumThreads: 1, graphOptimizationLevel: "all", executionProvider: "cpu" },
  { timeoutMs: 1_500, heapMb: 64, entry: new URL("./testing/poison-thread.mjs", import.meta.url) },
);
// The heap test has its own pool with a long time limit: on a loaded machine, growing to
// 64 MB can take longer than the hang test's 1.5 s, and the time limit would stop it first.
const roomy = new InferencePool(
  1,
  { intraOpNumThreads: 1, graphOptimizationLevel: "all", executionProvider: "cpu" },
  { timeoutMs: 120_000, heapMb: 64, entry: new URL("./testing/poison-thread.mjs", import.meta.url) },
);
afterAll(async () => {
  await pool.close();
  await roomy.close();
});

describe("the inference pool against poison", () => {
  it("runs a healthy job", async () => {
    expect(await pool.run("echo", { a: 1 })).toMatchObject({ ok: true, output: { a: 1 } });
  });

  it("stops a run that hangs past its limit, and the next job runs", async () => {
    const started = Date.now();
    await expect(pool.run("hang", {})).rejects.toThrow(/ran past its 2 s limit/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await pool.run("echo", 2)).toMatchObject({ ok: true, output: 2 });
  });

  it("fails a job whose thread crashes, and the next job runs", async () => {
    await expect(pool.run("crash", {})).rejects.toThrow(/the model crashed/);
    expect(await pool.run("echo", 3)).toMatchObject({ ok: true, output: 3 });
  });

  it("stops a run that outgrows the heap bound, and the next job runs", { timeout: 150_000 }, async () => {
    await expect(roomy.run("balloon", {})).rejects.toThrow(/outgrew its 64 MB heap/);
    expect(await roomy.run("echo", 4)).toMatchObject({ ok: true, output: 4 });
  });
});
