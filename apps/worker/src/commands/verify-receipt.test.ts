import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { countersignReceipt, generateNodeKeyPair, hashJson, signReceipt } from "@proofgrid/por";
import { afterAll, describe, expect, it } from "vitest";

// The CLI as a provider or customer runs it, on receipts made by the real signing code (the
// worker's signReceipt and the platform's countersignReceipt). The e2e test of the packed
// worker (tests/e2e/worker-package.test.ts) repeats this on a real OCR job's receipt.
const BIN = fileURLToPath(new URL("../../bin/proofgrid-worker.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "verify-receipt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const worker = generateNodeKeyPair();
const platform = generateNodeKeyPair();
const nodeId = "6d1f7f0e-4a55-4c1f-9f53-1f2b0c7d9a11";

function makeJob(id: string, text: string) {
  const input = { image: Buffer.from(`png bytes of ${id}`).toString("base64") };
  const output = {
    lines: [
      { text, confidence: 0.98, box: [10, 12, 300, 40] },
      { text: "verified inference 2026", confidence: 0.97, box: [10, 60, 320, 90] },
    ],
  };
  const receipt = countersignReceipt(
    signReceipt(
      {
        v: 1,
        jobId: id,
        attempt: 1,
        modelId: "a".repeat(64),
        inputHash: hashJson(input),
        outputHash: hashJson(output),
        startedAt: "2026-12-05T10:00:00.000Z",
        finishedAt: "2026-12-05T10:00:00.250Z",
        inferenceMs: 212.5,
        nodeId,
      },
      worker.privateKey,
    ),
    platform.privateKey,
  );
  const job = {
    id,
    model: "ocr-ppocr-v4",
    modelId: "a".repeat(64),
    state: "succeeded",
    attempt: 1,
    inputHash: hashJson(input),
    outputHash: hashJson(output),
    workerId: nodeId,
    receipt,
    output,
  };
  return { input, output, receipt, job };
}

const a = makeJob("0b7c3c1e-1111-4a2b-8c3d-000000000001", "PROOFGRID INVOICE 42");
const b = makeJob("0b7c3c1e-2222-4a2b-8c3d-000000000002", "ANOTHER CUSTOMER'S PAGE");

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function verify(...args: string[]) {
  const res = spawnSync(
    process.execPath,
    [BIN, "verify-receipt", ...args, "--worker-key", worker.publicKey, "--platform-key", platform.publicKey],
    {
      encoding: "utf8",
    },
  );
  const out = res.stdout.trim()
    ? (JSON.parse(res.stdout) as { valid: boolean; checks: { check: string; ok: boolean | null; detail: string }[] })
    : null;
  const failed = out?.checks.filter((c) => c.ok === false).map((c) => c.check) ?? [];
  return { status: res.status, out, failed, stderr: res.stderr };
}

describe("proofgrid-worker verify-receipt", () => {
  it("accepts an untouched job, and checks the input when given", () => {
    const r = verify(write("good.json", a.job), "--input", write("input.json", a.input));
    expect(r.stderr).toContain(`receipt valid for job ${a.job.id}`);
    expect(r.status).toBe(0);
    expect(r.out?.valid).toBe(true);
    expect(r.out?.checks.map((c) => [c.check, c.ok])).toEqual([
      ["format", true],
      ["jobId", true],
      ["job", true],
      ["output", true],
      ["input", true],
      ["workerSignature", true],
      ["platformSignature", true],
    ]);
  });

  it("refuses a job whose output was changed after signing (one OCR line), though both signatures hold", () => {
    const tampered = { ...a.job, output: { lines: [{ ...a.output.lines[0], text: "PROOFGRID INVOICE 43" }, a.output.lines[1]] } };
    const r = verify(write("tampered-output.json", tampered));
    expect(r.status).toBe(1);
    expect(r.failed).toEqual(["output"]);
    expect(r.stderr).toMatch(/✗ output: output does not match the receipt: it hashes to [0-9a-f]{64}, the receipt signs [0-9a-f]{64}/);
    expect(r.stderr).toContain("receipt NOT valid");
  });

  it("refuses a receipt with a changed field (inferenceMs): the worker's signature no longer holds", () => {
    const tampered = { ...a.job, receipt: { ...a.receipt, inferenceMs: 12.5 } };
    const r = verify(write("tampered-field.json", tampered));
    expect(r.status).toBe(1);
    expect(r.failed).toEqual(["workerSignature", "platformSignature"]);
    expect(r.stderr).toContain("✗ workerSignature: worker signature does not hold");
  });

  it("refuses another job's receipt and output presented as this job", () => {
    // Everything of job B is genuine and signed; only the job id says A.
    const swapped = { ...b.job, id: a.job.id };
    const r = verify(write("other-job.json", swapped));
    expect(r.status).toBe(1);
    expect(r.failed).toEqual(["jobId", "job"]);
    expect(r.stderr).toContain(`✗ jobId: receipt is for job ${b.job.id}, not for job ${a.job.id}`);
    // …and with --job, a genuine job B file is refused when the caller asked about A.
    const asked = verify(write("b.json", b.job), "--job", a.job.id);
    expect(asked.status).toBe(1);
    expect(asked.failed).toContain("jobId");
  });

  it("refuses a wrong input, a receipt without output, and an uncountersigned receipt", () => {
    const wrongInput = verify(write("good2.json", a.job), "--input", write("b-input.json", b.input));
    expect(wrongInput.status).toBe(1);
    expect(wrongInput.failed).toEqual(["input"]);
    expect(wrongInput.stderr).toContain("✗ input: input does not match the receipt");

    const bare = verify(write("bare.json", a.receipt), "--job", a.job.id);
    expect(bare.status).toBe(1);
    expect(bare.failed).toEqual(["output"]);
    const withOutput = verify(write("bare2.json", a.receipt), "--job", a.job.id, "--output", write("out.json", a.output));
    expect(withOutput.status).toBe(0);

    const { platformSignature: _drop, ...uncountersigned } = a.receipt;
    const r = verify(write("uncountersigned.json", { ...a.job, receipt: uncountersigned }));
    expect(r.status).toBe(1);
    expect(r.failed).toEqual(["platformSignature"]);
  });

  it("exits 1 with a reason on a file that is not JSON", () => {
    const file = join(dir, "garbage.json");
    writeFileSync(file, "{not json");
    const r = spawnSync(process.execPath, [BIN, "verify-receipt", file, "--worker-key", worker.publicKey], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("is not JSON");
  });
});
