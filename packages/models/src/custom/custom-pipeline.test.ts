import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ModelInputError } from "../model-input-error.ts";
import { createCustomPipeline, ModelIntegrityError } from "./custom-pipeline.ts";
import { CustomOutputError } from "./tensor-io.ts";
import { AFFINE_W, affineModel, argMaxModel, integerModel, logModel } from "./testing/build-onnx.ts";
import { validateOnnx } from "./validate-onnx.ts";

// Real models built here, stored under their sha256 like the model store keeps them, run
// through real onnxruntime: the numbers are computed by hand next to each call.

const dir = mkdtempSync(join(tmpdir(), "proofgrid-custom-pipeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
function stored(bytes: Uint8Array, dimBounds: Record<string, number> = {}) {
  const id = sha256(bytes);
  const path = join(dir, `${id}.onnx`);
  writeFileSync(path, bytes);
  return { path, id, signature: validateOnnx(bytes, { dimBounds }) };
}
const SESSION = { intraOpNumThreads: 1 };

describe("createCustomPipeline: an uploaded model run on JSON tensors", () => {
  it("runs a float model and returns each output, in the signature's order, with the exact numbers", async () => {
    const p = await createCustomPipeline({ ...stored(affineModel(), { n: 8 }), sessionOptions: SESSION });
    const x = [
      [1, 2, 3],
      [0, -1, 0.5],
    ];
    const { outputs } = await p.run({ inputs: [{ name: "x", datatype: "FP32", shape: [2, 3], data: x.flat() }] });
    // x + 1, and x · W with W = [[1, 2], [3, 4], [5, 6]].
    const w = (r: number, c: number) => AFFINE_W[r * 2 + c] as number;
    const matmul = x.flatMap((row) => [0, 1].map((c) => row.reduce((s, v, r) => s + v * w(r, c), 0)));
    expect(matmul).toEqual([22, 28, -0.5, -1]);
    expect(outputs).toEqual([
      { name: "plus_one", datatype: "FP32", shape: [2, 3], data: x.flat().map((v) => v + 1) },
      { name: "mat", datatype: "FP32", shape: [2, 2], data: matmul },
    ]);
    await p.dispose();
    await p.dispose();
    await expect(p.run({ inputs: [] })).rejects.toThrow(/was disposed/);
  });

  it("returns int64 and bool outputs as JSON numbers and booleans", async () => {
    const p = await createCustomPipeline({ ...stored(argMaxModel(), { n: 4 }), sessionOptions: SESSION });
    const data = [0.1, 0.9, -1, 0.3, -2, -3, -1, -4];
    const { outputs } = await p.run({ inputs: [{ name: "x", datatype: "FP32", shape: [2, 4], data }] });
    expect(outputs).toEqual([
      { name: "label", datatype: "INT64", shape: [2], data: [1, 2] },
      { name: "positive", datatype: "BOOL", shape: [2, 4], data: data.map((v) => v > 0) },
    ]);
    await p.dispose();
  });

  it("runs integer inputs, and refuses an int64 output past 2^53 rather than round it", async () => {
    const p = await createCustomPipeline({ ...stored(integerModel()), sessionOptions: SESSION });
    const input = (c: number[]) => ({
      inputs: [
        { name: "a", datatype: "INT32", shape: [2, 2], data: [1, 2, 3, 4] },
        { name: "b", datatype: "INT32", shape: [2, 2], data: [10, 20, 30, -40] },
        { name: "c", datatype: "INT64", shape: [3], data: c },
      ],
    });
    expect((await p.run(input([1, 2, -3]))).outputs).toEqual([
      { name: "sum", datatype: "INT32", shape: [2, 2], data: [11, 22, 33, -36] },
      { name: "wide", datatype: "INT64", shape: [3], data: [2 ** 40, 2 ** 41, -3 * 2 ** 40] },
    ]);
    // 2^13 · 2^40 = 2^53: one past the largest integer a JSON number holds exactly.
    await expect(p.run(input([1, 2 ** 13, 1]))).rejects.toThrow(
      new CustomOutputError("output 'wide': element 1 is 9007199254740992, beyond ±(2^53 − 1), which a JSON number carries exactly"),
    );
    await p.dispose();
  });

  it("refuses a model output JSON cannot carry (log 0 = −Infinity), naming the output and element", async () => {
    const p = await createCustomPipeline({ ...stored(logModel()), sessionOptions: SESSION });
    const run = (data: number[]) => p.run({ inputs: [{ name: "x", datatype: "FP32", shape: [4], data }] });
    expect((await run([1, 1, 1, 1])).outputs[0]?.data).toEqual([0, 0, 0, 0]);
    await expect(run([1, 0, 1, 1])).rejects.toThrow("output 'y': element 1 is -Infinity, which JSON cannot carry");
    await p.dispose();
  });

  it("checks the input before onnxruntime sees it: ModelInputError naming the tensor", async () => {
    const p = await createCustomPipeline({ ...stored(affineModel(), { n: 8 }), sessionOptions: SESSION });
    const bad = async (t: Record<string, unknown>) => {
      const err = await p.run({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2, 3], ...t }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelInputError);
      return (err as ModelInputError).message;
    };
    expect(await bad({ datatype: "INT32" })).toBe("input 'x' has datatype INT32; this model takes FP32");
    expect(await bad({ shape: [1, 4], data: [1, 2, 3, 4] })).toMatch(/^input 'x' has shape \[1, 4\]/);
    expect(await bad({ shape: [9, 3], data: new Array(27).fill(0) })).toBe("input 'x' dimension 0 ('n') is 9: this model's bound is 8");
    expect(await bad({ data: [1, 2] })).toBe("input 'x': shape [1, 3] holds 3 elements but data has 2");
    await p.dispose();
    const capped = await createCustomPipeline({
      ...stored(affineModel(), { n: 8 }),
      sessionOptions: SESSION,
      limits: { maxElements: 12, maxBytes: 1 << 20 },
    });
    const err = await capped
      .run({ inputs: [{ name: "x", datatype: "FP32", shape: [5, 3], data: new Array(15).fill(0) }] })
      .catch((e: unknown) => e);
    expect(err).toEqual(new ModelInputError("input 'x' brings the request to 15 elements: at most 12", true));
    await capped.dispose();
  });

  it("never runs a file whose bytes are not the id: refused before a session exists", async () => {
    const good = stored(affineModel(), { n: 8 });
    // Other bytes under that id (the file was swapped or corrupted in a cache).
    const swapped = join(dir, "swapped.onnx");
    writeFileSync(swapped, logModel());
    await expect(createCustomPipeline({ ...good, path: swapped })).rejects.toThrow(ModelIntegrityError);
    await expect(createCustomPipeline({ ...good, path: swapped })).rejects.toThrow(
      `model ${good.id}: the file's sha256 is ${sha256(logModel())}; it is not this model and was not run`,
    );
    // Bytes onnxruntime could not even load: the refusal is the hash's, so no load was tried.
    const junk = join(dir, "junk.onnx");
    writeFileSync(junk, "not a model at all");
    await expect(createCustomPipeline({ ...good, path: junk })).rejects.toThrow(ModelIntegrityError);
    await expect(createCustomPipeline({ ...good, path: join(dir, "absent.onnx") })).rejects.toThrow(ModelIntegrityError);
    await expect(createCustomPipeline({ ...good, id: "../../etc/passwd" })).rejects.toThrow(/not a model id/);
  });

  it("refuses a signature that is not the graph's, and element types JSON tensors do not carry", async () => {
    const good = stored(affineModel(), { n: 8 });
    const other = validateOnnx(argMaxModel(), { dimBounds: { n: 8 } });
    await expect(createCustomPipeline({ ...good, signature: other, sessionOptions: SESSION })).rejects.toThrow(
      /signature does not fit the graph \(output 'label', output 'positive'/,
    );
    const f16 = { ...good.signature, outputs: [{ name: "mat", elemType: "float16" }] };
    await expect(createCustomPipeline({ ...good, signature: f16 })).rejects.toThrow(/output 'mat' has element type float16/);
  });
});
