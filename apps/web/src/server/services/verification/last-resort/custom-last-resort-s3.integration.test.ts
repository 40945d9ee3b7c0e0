import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { startTestS3Server } from "@proofgrid/models/custom/testing/s3-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeAs, createModel, createWorker, ENCODER, type TestWorker } from "../../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../../testing/service-database.ts";
import { Dispatcher } from "../../dispatch/dispatcher.ts";
import { submitJob } from "../../jobs/submit-job.ts";
import { modelStore, resetModelStore } from "../../models/model-store.ts";
import { registerModelBytes } from "../../models/register-model.ts";
import { leaseJob } from "../../nodes/lease-job.ts";
import { runLastResort } from "./last-resort.ts";

// The executor of last resort with the models in an S3 store (MODEL_STORE_URL, issue 17): the
// registration puts the model in the bucket, nothing on local disk, and the platform's re-run
// fetches it into its verified local cache first. s3rver is a real S3-compatible HTTP server on
// a free loopback port; the official SDK talks to it.

const s3 = await startTestS3Server();
afterAll(() => s3.close());

const db = setupServiceDatabase({
  name: "custom-last-resort-s3",
  env: {
    MODEL_STORE_URL: s3.storeUrl("last-resort"),
    POR_STAKE_REQUIRED: "0",
    POR_CHALLENGES: "0",
    POR_REEXEC_FLOOR: "1",
    POR_REEXEC_CAP: "1",
    POR_CHECK_DEADLINE_MS: "0",
    PRICE_PER_CU_BASE_UNITS: "50000",
  },
});

let owner: string;
let slug: string;
let modelId: string;
let worker: TestWorker;
// y = relu(x + b), b = [52, 0, 0, 0]
const input = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] }] };
const tensor = (data: number[]) => ({ outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data }] });

beforeAll(async () => {
  resetModelStore();
  const encoderId = await createModel(ENCODER);
  owner = await createOrg("owner", "customer", 1_000_000_000n);
  const provider = await createOrg("provider", "provider");
  const options = { name: "m", visibility: "private" as const, preprocessing: "raw" as const, postprocessing: "raw" as const, royalty: 0n };
  const registered = await registerModelBytes({ orgId: owner, keyId: null, bytes: goodModel(52), options });
  slug = registered.model.slug;
  modelId = registered.model.id;
  worker = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4, acceptsCustomModels: true });
}, 60_000);
afterAll(() => resetModelStore());

describe("the executor of last resort with the models in S3", () => {
  it("registers the model into the bucket, not onto local disk", async () => {
    expect(modelStore().location).toMatch(/^s3:\/\/proofgrid-models\/last-resort at http:\/\/127\.0\.0\.1:/);
    expect(await modelStore().has(modelId)).toBe(true);
    expect(existsSync(join(db.dataDir, "models"))).toBe(false);
  });

  it("fetches the model into its verified cache and re-runs an honest result", async () => {
    const job = await submitJob({ orgId: owner, request: { model: slug, input } });
    await new Dispatcher().tick();
    const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
    expect(leased?.jobId).toBe(job.id);
    await completeAs(worker, { id: job.id, attempt: leased?.attempt ?? 0 }, tensor([53, 0, 3, 0]));

    expect(await runLastResort()).toBe(1);
    const checks = await db.t.prisma.check.findMany({ where: { jobId: job.id }, select: { kind: true, verdict: true, status: true } });
    expect(checks).toEqual([{ kind: "reexecution", verdict: "pass", status: "done" }]);
    expect(readdirSync(join(db.dataDir, "model-cache"))).toEqual([`${modelId}.onnx`]);
  }, 60_000);
});
