import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import type { LeasedJob } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferencePool } from "../inference/inference-pool.ts";
import { type FetchRange, ModelCache, ModelHashMismatchError } from "../models/model-cache.ts";
import { runModel } from "./run-worker.ts";

// A leased job on a customer's uploaded model (issue 17) as the worker runs it: the file
// fetched once into the cache, verified, and run by a real inference thread through
// createCustomPipeline; bytes that are not the model are never run; a worker that did not
// opt in refuses it.

const file = goodModel(41);
const id = createHash("sha256").update(file).digest("hex");
const input = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] }] };
const job = (over: Partial<LeasedJob> = {}): Pick<LeasedJob, "modelId" | "modelSlug" | "input" | "custom"> => ({
  modelId: id,
  modelSlug: `custom-${id.slice(0, 12)}`,
  input,
  custom: {
    modelId: id,
    signature: { inputs: [{ name: "x", elemType: "float32", shape: [1, 4], dynamic: {} }], outputs: [{ name: "y", elemType: "float32" }] },
    fileBytes: file.byteLength,
    deterministic: true,
  },
  ...over,
});

/** Serves `bytes` as the platform's ranged download does, counting the requests. */
function serving(bytes: Uint8Array) {
  let requests = 0;
  const fetchRange: FetchRange = async (_id, fromByte) => {
    requests++;
    if (fromByte >= bytes.length) return null;
    const rest = bytes.subarray(fromByte);
    return {
      start: fromByte,
      size: bytes.length,
      body: (async function* () {
        yield rest;
      })(),
    };
  };
  return { fetchRange, requests: () => requests };
}

let pool: InferencePool;
const dirs: string[] = [];
const cacheDir = () => {
  const d = mkdtempSync(join(tmpdir(), "run-model-"));
  dirs.push(d);
  return d;
};

beforeAll(() => {
  pool = new InferencePool(1, { intraOpNumThreads: 1, graphOptimizationLevel: "all", executionProvider: "cpu" }, { timeoutMs: 30_000 });
});
afterAll(async () => {
  await pool.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("runModel on an uploaded model", () => {
  it("downloads the model once, verified, and runs it in the inference thread", async () => {
    const platform = serving(file);
    const models = new ModelCache({ dir: cacheDir(), maxBytes: 64 * 1024 * 1024, fetchRange: platform.fetchRange });
    for (let i = 0; i < 2; i++) {
      const res = await runModel({ job: job(), pool, models, accepts: true });
      expect(res).toMatchObject({ ok: true, output: { outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data: [42, 0, 3, 0] }] } });
    }
    expect(platform.requests()).toBe(1);
    expect(models.has(id)).toBe(true);
  }, 30_000);

  it("checks the input against the signature in the thread: a bad tensor is the input's fault", async () => {
    const models = new ModelCache({ dir: cacheDir(), maxBytes: 64 * 1024 * 1024, fetchRange: serving(file).fetchRange });
    const bad = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] }] };
    const res = await runModel({ job: job({ input: bad }), pool, models, accepts: true });
    expect(res).toMatchObject({ ok: false, inputError: true, error: expect.stringContaining("'x'") });
  }, 30_000);

  it("never runs bytes that are not the model, and refuses when the worker did not opt in", async () => {
    const other = goodModel(42);
    const models = new ModelCache({ dir: cacheDir(), maxBytes: 64 * 1024 * 1024, fetchRange: serving(other).fetchRange, attempts: 1 });
    await expect(runModel({ job: job(), pool, models, accepts: true })).rejects.toBeInstanceOf(ModelHashMismatchError);
    expect(models.has(id)).toBe(false);

    const off = await runModel({ job: job(), pool, models: undefined, accepts: false });
    expect(off).toMatchObject({ ok: false, inputError: false, error: expect.stringMatching(/does not run custom models/) });
  }, 30_000);
});
