// The sandbox's child process (custom/sandbox-run.ts): loads one uploaded model in
// onnxruntime-node and runs it on zero inputs of its declared shapes, twice, then reports on
// stdout as one JSON line. Plain JavaScript, so any node runs it without a loader. It holds
// nothing of the platform's: no database, no keys, no network; the parent kills it when it
// passes its memory or time limit.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";

const ARRAYS = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  int8: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  int16: (n) => new Int16Array(n),
  uint16: (n) => new Uint16Array(n),
  int32: (n) => new Int32Array(n),
  uint32: (n) => new Uint32Array(n),
  int64: (n) => new BigInt64Array(n),
  uint64: (n) => new BigUint64Array(n),
  bool: (n) => new Uint8Array(n),
  float16: (n) => new Uint16Array(n),
  string: (n) => Array.from({ length: n }, () => ""),
};

function zeros(input) {
  const n = input.shape.reduce((a, b) => a * b, 1);
  const make = ARRAYS[input.elemType];
  if (!make) throw new Error(`no zero tensor for element type ${input.elemType}`);
  return new ort.Tensor(input.elemType, make(n), input.shape);
}

function digest(outputs) {
  const h = createHash("sha256");
  for (const name of Object.keys(outputs).sort()) {
    const t = outputs[name];
    h.update(name).update(JSON.stringify(t.dims)).update(t.type);
    const data = t.data;
    if (Array.isArray(data)) h.update(JSON.stringify(data));
    else h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest("hex");
}

const request = JSON.parse(readFileSync(0, "utf8"));
const result = { ok: false };
try {
  let t = performance.now();
  const session = await ort.InferenceSession.create(readFileSync(request.modelPath), {
    intraOpNumThreads: request.intraOpNumThreads ?? 1,
    graphOptimizationLevel: "all",
  });
  result.createMs = performance.now() - t;
  const feeds = Object.fromEntries(request.inputs.map((i) => [i.name, zeros(i)]));
  const runs = [];
  const digests = [];
  let outputs;
  for (let r = 0; r < (request.runs ?? 2); r++) {
    t = performance.now();
    outputs = await session.run(feeds);
    runs.push(performance.now() - t);
    digests.push(digest(outputs));
  }
  result.runMs = runs;
  result.outputs = Object.entries(outputs ?? {}).map(([name, v]) => ({ name, type: v.type, dims: v.dims.map(Number) }));
  result.deterministic = digests.every((d) => d === digests[0]);
  result.ok = true;
  await session.release();
} catch (err) {
  result.error = String(err instanceof Error ? err.message : err).slice(0, 2_000);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
