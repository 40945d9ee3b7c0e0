import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as submitRoute } from "~/app/api/v1/jobs/route";
import { createApiKey } from "../auth/api-keys.ts";
import { API_SCOPES } from "../auth/scopes.ts";
import { createOrg, setupServiceDatabase } from "../testing/service-database.ts";

// Inputs the way clients send them (issue 16), through the real submit route and a real
// Postgres: multipart/form-data with the input as a file, and inputs the model cannot take as
// sent (a 6000 px photo, a 44.1 kHz stereo recording) converted, said in `inputAdjustments`,
// and stored as converted. Every bad body is a 4xx that creates no job.

let customer: string;
let key: string;

const db = setupServiceDatabase({ name: "submission" });

beforeAll(async () => {
  for (const [slug, kind] of [
    ["ocr-ppocr-v4", "ocr"],
    ["vad-silero-v5", "vad"],
    ["encoder-synthetic-minilm", "embedding"],
  ] as const) {
    await db.t.prisma.model.create({
      data: { id: randomBytes(32).toString("hex"), slug, name: slug, kind, description: "", signature: {}, baseCostMilliCu: 10 },
    });
  }
  customer = await createOrg("customer", "customer", 1_000_000_000_000n);
  key = (await createApiKey({ orgId: customer, name: "k", scopes: [...API_SCOPES] })).key;
});

const png = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: "#f4f4f0" } })
    .png()
    .toBuffer();

function wavStereo44k(seconds: number): Buffer {
  const frames = Math.round(44_100 * seconds);
  const out = Buffer.alloc(44 + frames * 4);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + frames * 4, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(2, 22);
  out.writeUInt32LE(44_100, 24);
  out.writeUInt32LE(44_100 * 4, 28);
  out.writeUInt16LE(4, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(frames * 4, 40);
  for (let f = 0; f < frames; f++) {
    const v = Math.round(8_000 * Math.sin((2 * Math.PI * 300 * f) / 44_100));
    out.writeInt16LE(v, 44 + f * 4);
    out.writeInt16LE(v, 46 + f * 4);
  }
  return out;
}

async function post(body: BodyInit, headers: Record<string, string> = {}) {
  const res = await submitRoute(
    new Request("http://127.0.0.1/api/v1/jobs", { method: "POST", headers: { authorization: `Bearer ${key}`, ...headers }, body }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

/** A file part: the bytes, copied into a plain ArrayBuffer (what Blob takes). */
const blob = (bytes: Uint8Array | string, type = "") => new Blob([typeof bytes === "string" ? bytes : new Uint8Array(bytes)], { type });

function form(fields: Record<string, string | Blob>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

const jobCount = () => db.t.prisma.job.count({ where: { orgId: customer } });
const storedInput = async (jobId: string) =>
  (await sql().$queryRaw<{ input: Record<string, string> }[]>`SELECT input FROM job_payloads WHERE job_id = ${jobId}::uuid`)[0]?.input;

describe("POST /api/v1/jobs: multipart/form-data and inputs converted to fit the model", () => {
  it("a 6000×3000 PNG sent as a file part is scaled to 4096 px, said so, and stored scaled", async () => {
    const res = await post(form({ model: "ocr-ppocr-v4", file: blob(await png(6000, 3000), "image/png") }));
    expect(res.status).toBe(201);
    expect(res.body.inputAdjustments).toEqual(["image scaled from 6000×3000 to 4096×2048 px (at most 4096 px a side)"]);
    const stored = await storedInput(res.body.id as string);
    const meta = await sharp(Buffer.from(stored?.image ?? "", "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([4096, 2048]);
  });

  it("a 44.1 kHz stereo WAV is mixed down and resampled to 16 kHz; a text file runs on the encoder", async () => {
    const audio = await post(form({ model: "vad-silero-v5", file: blob(wavStereo44k(1)) }));
    expect(audio.status).toBe(201);
    expect(audio.body.inputAdjustments).toEqual(["audio mixed down from 2 channels to mono", "audio resampled from 44100 Hz to 16000 Hz"]);
    const wav = Buffer.from((await storedInput(audio.body.id as string))?.audio ?? "", "base64");
    expect([wav.readUInt16LE(22), wav.readUInt32LE(24)]).toEqual([1, 16_000]);

    const text = await post(form({ model: "encoder-synthetic-minilm", file: blob("a sentence from a file", "text/plain") }));
    expect(text.status).toBe(201);
    expect(text.body.inputAdjustments).toBeUndefined();
    expect(await storedInput(text.body.id as string)).toEqual({ text: "a sentence from a file" });
  });

  it("a multipart submit under an idempotency key replays the same job with its adjustments; another file is a 422", async () => {
    const idem = randomUUID();
    const photo = await png(5000, 1000);
    const before = await jobCount();
    const first = await post(form({ model: "ocr-ppocr-v4", file: blob(photo) }), { "idempotency-key": idem });
    const again = await post(form({ model: "ocr-ppocr-v4", file: blob(photo) }), { "idempotency-key": idem });
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    const other = await post(form({ model: "ocr-ppocr-v4", file: blob(await png(5000, 1001)) }), { "idempotency-key": idem });
    expect(other.status).toBe(422);
    expect(await jobCount()).toBe(before + 1);
  });

  it("JSON with base64 still works, and an image that fits is stored byte for byte", async () => {
    const image = (await png(640, 480)).toString("base64");
    const res = await post(JSON.stringify({ model: "ocr-ppocr-v4", input: { image } }), { "content-type": "application/json" });
    expect(res.status).toBe(201);
    expect(res.body.inputAdjustments).toBeUndefined();
    expect((await storedInput(res.body.id as string))?.image).toBe(image);
  });

  it("bad bodies are a clear 400 or 413 and create no job", async () => {
    const before = await jobCount();
    const photo = blob(await png(100, 100));
    const cases: [FormData | string, RegExp, number, Record<string, string>?][] = [
      [form({ model: "ocr-ppocr-v4", file: photo, colour: "red" }), /unknown form field 'colour'/, 400],
      [form({ model: "ocr-ppocr-v4", file: photo, input: "{}" }), /as a file or as 'input', not both/, 400],
      [form({ model: "ocr-ppocr-v4", file: blob(randomBytes(64)) }), /not a file a model takes/, 400],
      [form({ model: "ocr-ppocr-v4", file: "not a file" }), /must be a file part/, 400],
      [form({ model: "ocr-ppocr-v4", input: "{not json" }), /'input' is not valid JSON/, 400],
      [form({ model: "vad-silero-v5", file: blob(wavStereo44k(0.1).subarray(0, 30)) }), /invalid input for vad-silero-v5/, 400],
      [form({ model: "no-such-model", file: photo }), /unknown model/, 404],
      ["--x\r\nnot a form", /not valid multipart/, 400, { "content-type": "multipart/form-data; boundary=x" }],
    ];
    for (const [body, message, status, headers] of cases) {
      const res = await post(body, headers);
      expect({ status: res.status, message: res.body.error?.message }).toEqual({ status, message: expect.stringMatching(message) });
    }
    const twice = form({ model: "ocr-ppocr-v4", file: photo });
    twice.append("file", photo);
    expect((await post(twice)).body.error?.message).toMatch(/'file' is given 2 times/);
    const huge = form({ model: "ocr-ppocr-v4", file: blob(Buffer.alloc(17 * 1024 * 1024)) });
    expect((await post(huge)).status).toBe(413);
    expect(await jobCount()).toBe(before);
  });
});
