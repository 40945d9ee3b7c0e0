import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generateNodeKeyPair } from "../crypto/ed25519.ts";
import { hashJson } from "../crypto/canonical-json.ts";
import { countersignReceipt, signReceipt } from "../receipts/receipt.ts";
import { signCheckReport, ZCheckReport } from "./check-task.ts";
import {
  NODE_BINARY_ROUTES,
  NODE_PROTOCOL,
  ZCheckLeaseReply,
  ZCheckLeaseRequest,
  ZCompleteJobReply,
  ZCompleteJobRequest,
  ZFailJobReply,
  ZFailJobRequest,
  ZGoodbyeReply,
  ZGoodbyeRequest,
  ZHeartbeatReply,
  ZHeartbeatRequest,
  ZLeaseReply,
  ZLeaseRequest,
  ZRegisterNodeReply,
  ZRegisterNodeRequest,
} from "./node-messages.ts";

const jobId = "0b9f6c3e-2f4a-4c1e-9a7d-5e8b1c2d3f40";
const nodeId = "6d1f7f0e-4a55-4c1f-9f53-1f2b0c7d9a11";
const checkId = "3c2a1b0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d";
const modelId = "a".repeat(64);

// Replies as the platform's services build them (lease-job.ts, check-tasks.ts, heartbeat.ts,
// complete-job.ts), after the JSON round trip the worker sees.
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const leasedJob = {
  jobId,
  attempt: 1,
  modelId,
  modelSlug: "ocr-ppocr-v4",
  input: { image: "iVBORw0KGgo=" },
  leaseExpiresAt: "2026-12-05T10:01:00.000Z",
  leaseMs: 60_000,
};

function completion() {
  const worker = generateNodeKeyPair();
  const platform = generateNodeKeyPair();
  const input = { texts: ["hello"] };
  const output = { vectors: [[0.1, 0.2]] };
  const receipt = signReceipt(
    {
      v: 1,
      jobId,
      attempt: 1,
      modelId,
      inputHash: hashJson(input),
      outputHash: hashJson(output),
      startedAt: "2026-12-05T10:00:00.000Z",
      finishedAt: "2026-12-05T10:00:00.250Z",
      inferenceMs: 212.5,
      nodeId,
    },
    worker.privateKey,
  );
  return { output, receipt, countersigned: countersignReceipt(receipt, platform.privateKey) };
}

describe("node-protocol replies", () => {
  it("accept the replies the platform sends", () => {
    expect(ZLeaseReply.parse(wire({ job: leasedJob }))).toEqual({ job: leasedJob });
    expect(ZLeaseReply.parse(wire({ job: null }))).toEqual({ job: null });
    const check = {
      checkId,
      attempt: 2,
      kind: "challenge",
      items: [
        // A capability challenge's item: a seed instead of an input, and the platform's timing.
        {
          ref: jobId,
          modelSlug: "vad-silero-v5",
          seed: "ab12",
          generator: "capability",
          output: { segments: [] },
          costMilliCu: 43,
          wallMs: 45.5,
        },
        // An untimed (warm-up) item: wallMs undefined, so absent from the JSON.
        {
          ref: nodeId,
          modelSlug: "vad-silero-v5",
          seed: "cd34",
          generator: "capability",
          output: { segments: [] },
          costMilliCu: 43,
          wallMs: undefined,
        },
      ],
      claimedCuPerHour: 3_600,
      leaseMs: 120_000,
    };
    expect(ZCheckLeaseReply.parse(wire({ check })).check?.items).toHaveLength(2);
    const reexecution = {
      checkId,
      attempt: 1,
      kind: "reexecution",
      items: [{ ref: jobId, modelSlug: "ocr-ppocr-v4", input: {}, output: {}, costMilliCu: 133 }],
      leaseMs: 1,
    };
    expect(ZCheckLeaseReply.parse(wire({ check: reexecution })).check?.claimedCuPerHour).toBeUndefined();
    expect(ZCheckLeaseReply.parse({ check: null })).toEqual({ check: null });
    expect(
      ZHeartbeatReply.parse(
        wire({
          leases: [
            { jobId, attempt: 1, ok: true, leaseExpiresAt: "2026-12-05T10:01:00.000Z" },
            { jobId: checkId, attempt: 3, ok: false, leaseExpiresAt: null },
          ],
          status: "online",
        }),
      ).leases,
    ).toHaveLength(2);
    const { countersigned } = completion();
    expect(ZCompleteJobReply.parse(wire({ status: "accepted", receipt: countersigned })).receipt).toEqual(countersigned);
    expect(ZFailJobReply.parse({ state: "queued" })).toEqual({ state: "queued" });
    expect(ZGoodbyeReply.parse({ status: "offline", offersReturned: 1 })).toEqual({ status: "offline", offersReturned: 1 });
    expect(ZRegisterNodeReply.parse({ nodeId, orgId: checkId, role: "checker" }).role).toBe("checker");
  });

  it("ignore fields a newer platform adds", () => {
    expect(ZLeaseReply.parse({ job: { ...leasedJob, priority: 3 }, hint: "x" })).toEqual({ job: leasedJob });
  });

  it("refuse malformed replies", () => {
    const { countersigned } = completion();
    const bad: [string, { safeParse: (v: unknown) => { success: boolean } }, unknown][] = [
      ["no job key", ZLeaseReply, {}],
      ["attempt as a string", ZLeaseReply, { job: { ...leasedJob, attempt: "1" } }],
      ["attempt 0 (not a fencing token)", ZLeaseReply, { job: { ...leasedJob, attempt: 0 } }],
      ["zero lease", ZLeaseReply, { job: { ...leasedJob, leaseMs: 0 } }],
      ["model id not a sha256", ZLeaseReply, { job: { ...leasedJob, modelId: "ocr" } }],
      ["lease expiry not a time", ZLeaseReply, { job: { ...leasedJob, leaseExpiresAt: "soon" } }],
      ["unknown check kind", ZCheckLeaseReply, { check: { checkId, attempt: 1, kind: "audit", items: [], leaseMs: 1 } }],
      [
        "check item without a ref",
        ZCheckLeaseReply,
        { check: { checkId, attempt: 1, kind: "reexecution", items: [{ modelSlug: "m", output: 1, costMilliCu: 1 }], leaseMs: 1 } },
      ],
      ["heartbeat ok as a string", ZHeartbeatReply, { leases: [{ jobId, attempt: 1, ok: "yes", leaseExpiresAt: null }], status: "online" }],
      ["heartbeat without status", ZHeartbeatReply, { leases: [] }],
      ["unknown node status", ZHeartbeatReply, { leases: [], status: "asleep" }],
      [
        "receipt without the countersignature",
        ZCompleteJobReply,
        { status: "accepted", receipt: { ...countersigned, platformSignature: undefined } },
      ],
      ["receipt with an unsigned extra field", ZCompleteJobReply, { status: "accepted", receipt: { ...countersigned, paid: true } }],
      ["unknown completion status", ZCompleteJobReply, { status: "paid", receipt: countersigned }],
      ["unknown fail state", ZFailJobReply, { state: "lost" }],
      ["negative offers", ZGoodbyeReply, { status: "offline", offersReturned: -1 }],
      ["register without a node id", ZRegisterNodeReply, { orgId: checkId, role: "worker" }],
      ["an HTML error page", ZLeaseReply, "<html>502</html>"],
      ["null", ZHeartbeatReply, null],
    ];
    for (const [what, schema, value] of bad) expect(schema.safeParse(value).success, what).toBe(false);
  });
});

describe("node-protocol requests keep the platform's limits", () => {
  it("lease: waitMs defaults to 25 s for jobs and 20 s for checks, at most 30 s", () => {
    expect(ZLeaseRequest.parse({})).toEqual({ waitMs: 25_000 });
    expect(ZCheckLeaseRequest.parse({})).toEqual({ waitMs: 20_000 });
    expect(ZLeaseRequest.safeParse({ waitMs: 30_000 }).success).toBe(true);
    for (const waitMs of [30_001, -1, 1.5]) {
      expect(ZLeaseRequest.safeParse({ waitMs }).success).toBe(false);
      expect(ZCheckLeaseRequest.safeParse({ waitMs }).success).toBe(false);
    }
  });

  it("heartbeat: at most 64 leases and 256 models, sha256 ids, a load share in 0..1", () => {
    const lease = { jobId, attempt: 1 };
    expect(
      ZHeartbeatRequest.safeParse({ leases: Array(64).fill(lease), loadedModels: Array(256).fill(modelId), machineBusy: 1 }).success,
    ).toBe(true);
    expect(ZHeartbeatRequest.safeParse({ leases: Array(65).fill(lease) }).success).toBe(false);
    expect(ZHeartbeatRequest.safeParse({ leases: [], loadedModels: Array(257).fill(modelId) }).success).toBe(false);
    expect(ZHeartbeatRequest.safeParse({ leases: [], loadedModels: ["ocr-ppocr-v4"] }).success).toBe(false);
    expect(ZHeartbeatRequest.safeParse({ leases: [], machineBusy: 1.01 }).success).toBe(false);
    expect(ZHeartbeatRequest.safeParse({ leases: [{ jobId, attempt: 1_001 }] }).success).toBe(false);
    expect(ZHeartbeatRequest.safeParse({ leases: [{ jobId: "job-1", attempt: 1 }] }).success).toBe(false);
  });

  it("complete: the worker's own receipt passes; a receipt for another id shape or an attempt past 1000 does not", () => {
    const { output, receipt } = completion();
    expect(ZCompleteJobRequest.safeParse({ jobId, attempt: 1, output, receipt }).success).toBe(true);
    expect(ZCompleteJobRequest.safeParse({ jobId, attempt: 1_001, output, receipt }).success).toBe(false);
    expect(ZCompleteJobRequest.safeParse({ jobId, attempt: 1, output, receipt: { ...receipt, jobId: "job-1" } }).success).toBe(false);
    expect(ZCompleteJobRequest.safeParse({ jobId, attempt: 1, output, receipt: { ...receipt, inferenceMs: 86_400_001 } }).success).toBe(
      false,
    );
    expect(ZCompleteJobRequest.safeParse({ jobId, attempt: 1, output, receipt: { ...receipt, signature: "short" } }).success).toBe(false);
  });

  it("fail: defaults, a 2000-character error, and no text Postgres cannot store", () => {
    expect(ZFailJobRequest.parse({ jobId, attempt: 1, kind: "release" })).toEqual({
      jobId,
      attempt: 1,
      kind: "release",
      retryable: true,
      error: "",
    });
    expect(ZFailJobRequest.safeParse({ jobId, attempt: 1, kind: "error", error: "x".repeat(2_000) }).success).toBe(true);
    expect(ZFailJobRequest.safeParse({ jobId, attempt: 1, kind: "error", error: "x".repeat(2_001) }).success).toBe(false);
    for (const error of ["bad\u0000byte", "half \ud800 a pair"]) {
      const parsed = ZFailJobRequest.safeParse({ jobId, attempt: 1, kind: "error", error });
      expect(parsed.success, error).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe("must not contain U+0000 (NUL) or unpaired UTF-16 surrogates");
    }
    expect(ZFailJobRequest.safeParse({ jobId, attempt: 1, kind: "crash" }).success).toBe(false);
  });

  it("check report: a signed report passes; 1 to 32 items, at most 32 metrics", () => {
    const keys = generateNodeKeyPair();
    const item = {
      ref: jobId,
      match: true,
      reason: "ok",
      metrics: { cer: 0 },
      output: { a: 1 },
      outputHash: hashJson({ a: 1 }),
      inferenceMs: 3,
    };
    const report = (items: unknown[]) => ({ checkId, attempt: 1, items, signature: "s".repeat(86) });
    expect(ZCheckReport.safeParse(signCheckReport({ checkId, attempt: 1, items: [item] }, keys.privateKey)).success).toBe(true);
    expect(ZCheckReport.safeParse(report(Array(32).fill(item))).success).toBe(true);
    expect(ZCheckReport.safeParse(report([])).success).toBe(false);
    expect(ZCheckReport.safeParse(report(Array(33).fill(item))).success).toBe(false);
    const metrics = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`m${i}`, i]));
    expect(ZCheckReport.safeParse(report([{ ...item, metrics }])).success).toBe(false);
    expect(ZCheckReport.safeParse(report([{ ...item, reason: "r".repeat(101) }])).success).toBe(false);
  });

  it("goodbye carries nothing", () => {
    expect(ZGoodbyeRequest.safeParse({}).success).toBe(true);
    expect(ZGoodbyeRequest.safeParse({ reason: "bye" }).success).toBe(false);
  });

  it("register: token and key shapes, a trimmed name of 1 to 80 characters, 1 to 64 models", () => {
    const request = {
      token: `pgr_${"A".repeat(43)}`,
      publicKey: "B".repeat(43),
      proof: "p".repeat(86),
      name: "  gpu-box-1  ",
      region: "eu-west",
      models: [modelId],
      claimedCuPerHour: 3_600,
    };
    const parsed = ZRegisterNodeRequest.parse(request);
    expect(parsed.name).toBe("gpu-box-1");
    expect(parsed.maxConcurrency).toBe(1);
    expect(ZRegisterNodeRequest.safeParse({ ...request, token: "pgr_short" }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, name: "   " }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, name: "n".repeat(81) }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, name: "nul\u0000" }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, region: "EU West" }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, models: [] }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, models: Array(65).fill(modelId) }).success).toBe(false);
    expect(ZRegisterNodeRequest.safeParse({ ...request, claimedCuPerHour: 0 }).success).toBe(false);
  });
});

describe("NODE_PROTOCOL", () => {
  it("names exactly the platform's node routes", async () => {
    // A route added without its messages here would be validated on one side only again.
    const root = new URL("../../../../apps/web/src/app/api/node/", import.meta.url);
    const routes = (await readdir(root, { recursive: true }))
      .filter((f) => f.endsWith("route.ts"))
      .map((f) => `/api/node/${f.replace(/\/?route\.ts$/, "")}`)
      .sort();
    expect([...Object.keys(NODE_PROTOCOL), ...Object.keys(NODE_BINARY_ROUTES)].sort()).toEqual(routes);
  });
});
