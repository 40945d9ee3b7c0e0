import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createPipeline, type Pipeline } from "@proofgrid/models";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../../apps/web/src/server/auth/api-keys.ts";
import { API_SCOPES } from "../../../apps/web/src/server/auth/scopes.ts";
import { db } from "../../../apps/web/src/server/db.ts";
import { completeAs, ENCODER, setupEncoderMarket, type TestWorker } from "../../../apps/web/src/server/testing/job-fixtures.ts";
import { setupServiceDatabase } from "../../../apps/web/src/server/testing/service-database.ts";
import { handleErrors } from "../examples/errors.ts";
import { runAJob } from "../examples/run-a-job.ts";
import { submitAndWait } from "../examples/submit-and-wait.ts";
import { checkReceipt } from "../examples/verify-receipt.ts";
import { AuthenticationError, NotFoundError, Proofgrid, UnprocessableError } from "./index.ts";
import { verifyReceipt } from "./verify.ts";

// The SDK against the platform's real route handlers and a real Postgres: a node:http
// server on a free port serves the data plane (submit, get, long-poll, cancel) through
// serveDataPlane, as the web server does, and the catalog, balance and public keys through
// their App Router handlers. Jobs are run by an in-process worker: the real dispatcher
// assigns them, the real lease hands them out, the real encoder computes the output and the
// real completion path takes the signed result (the lease-job and get-job tests' approach).

setupServiceDatabase({
  name: "sdk",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0" },
  database: { maxConnections: 16 },
});
const market = setupEncoderMarket();

// The web app's modules that import with its `~/` alias load through vitest's resolver
// (vitest.config.ts): imported by a computed name, so the root typecheck (no DOM, no `~/`)
// does not follow them. Each is typed here with what the test uses.
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
interface DataPlaneModule {
  matchDataPlane(method: string | undefined, url: string | undefined): { handler: Handler; params: Record<string, string> } | undefined;
  serveDataPlane(
    match: { handler: Handler; params: Record<string, string> },
    req: IncomingMessage,
    res: ServerResponse,
    origin: string,
  ): Promise<void>;
}
interface DispatcherModule {
  Dispatcher: new () => { tick(): Promise<unknown> };
}
interface LeaseModule {
  leaseJob(opts: { node: TestWorker["identity"]; waitMs: number }): Promise<{ jobId: string; attempt: number; input: unknown } | null>;
}
const web = (path: string) => `../../../apps/web/src/${path}`;
const load = <T>(path: string) => import(/* @vite-ignore */ web(path)) as Promise<T>;

let server: Server;
let baseUrl: string;
let apiKey: string;
let pipeline: Pipeline<"encoder-synthetic-minilm">;

beforeAll(async () => {
  const dataPlane = await load<DataPlaneModule>("server/http/data-plane.ts");
  const others: Record<string, { GET: Handler }> = {
    "/api/v1/models": await load("app/api/v1/models/route.ts"),
    "/api/v1/balance": await load("app/api/v1/balance/route.ts"),
    "/api/v1/public-keys": await load("app/api/v1/public-keys/route.ts"),
  };
  server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    const other = req.method === "GET" ? others[path] : undefined;
    const match = dataPlane.matchDataPlane(req.method, req.url) ?? (other ? { handler: other.GET, params: {} } : undefined);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    dataPlane.serveDataPlane(match, req, res, baseUrl).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  apiKey = (await createApiKey({ orgId: market.customer, name: "sdk", scopes: [...API_SCOPES] })).key;
  pipeline = await createPipeline(ENCODER);
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await pipeline?.dispose();
});

/** An online worker of the market's that runs each job it is given with the real encoder, until stopped. */
let stopWorker: (() => Promise<void>) | undefined;
beforeEach(async () => {
  const [{ Dispatcher }, { leaseJob }] = await Promise.all([
    load<DispatcherModule>("server/services/dispatch/dispatcher.ts"),
    load<LeaseModule>("server/services/nodes/lease-job.ts"),
  ]);
  const worker = await market.worker({ maxConcurrency: 4 });
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Dispatcher().tick();
      const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
      if (!leased) {
        await sleep(20);
        continue;
      }
      const output = await pipeline.run(leased.input as never);
      await completeAs(worker, { id: leased.jobId, attempt: leased.attempt }, output);
    }
  })();
  stopWorker = async () => {
    running = false;
    await loop;
  };
});
afterEach(async () => {
  await stopWorker?.();
});

const client = () => new Proofgrid({ apiKey, baseUrl, retry: { baseDelayMs: 20, maxDelayMs: 200 } });

describe("@proofgrid/sdk against the real routes", () => {
  it("jobs.run returns the encoder's real output, and the receipt verifies offline", async () => {
    const text = "a verified embedding";
    const job = await client().jobs.run({ model: ENCODER, input: { text } }, { waitTimeoutMs: 60_000 });
    expect(job.state).toBe("succeeded");
    // What the model itself computes for the text, in this process.
    expect(job.output).toEqual(JSON.parse(JSON.stringify(await pipeline.run({ text }))));
    expect((job.output as { vectors: number[][] }).vectors[0]).toHaveLength(384);

    const again = await client().jobs.get(job.id);
    expect(again).toMatchObject({ id: job.id, state: "succeeded", output: job.output });

    const receipt = await client().jobs.receipt(job.id);
    const verdict = verifyReceipt(receipt, { input: { text } });
    expect(verdict.checks.filter((c) => c.ok === false)).toEqual([]);
    expect(verdict.valid).toBe(true);
    // An output changed after signing does not verify.
    const tampered = { ...receipt, job: { ...receipt.job, output: { dim: 384, vectors: [[0]] } } };
    expect(verifyReceipt(tampered).valid).toBe(false);
  });

  it("a bad key is an AuthenticationError with the request id; another org's job a NotFoundError", async () => {
    const bad = new Proofgrid({ apiKey: `pg_${"A".repeat(12)}_${"b".repeat(43)}`, baseUrl });
    const err = await bad.jobs.submit({ model: ENCODER, input: { text: "x" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect((err as AuthenticationError).requestId).toBeTruthy();
    expect(await bad.models.list().catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError);

    const missing = await client()
      .jobs.get("00000000-0000-4000-8000-000000000000")
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it("20 concurrent jobs.submit with one explicit idempotency key make one job", async () => {
    const before = await db().job.count({ where: { orgId: market.customer } });
    const c = client();
    const jobs = await Promise.all(
      Array.from({ length: 20 }, () =>
        c.jobs.submit({ model: ENCODER, input: { text: "twenty at once" } }, { idempotencyKey: "sdk-twenty" }),
      ),
    );
    expect(new Set(jobs.map((j) => j.id)).size).toBe(1);
    expect(await db().job.count({ where: { orgId: market.customer } })).toBe(before + 1);
    // The same key with another body is refused, and makes nothing.
    const other = await c.jobs
      .submit({ model: ENCODER, input: { text: "something else" } }, { idempotencyKey: "sdk-twenty" })
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(UnprocessableError);
    expect(await db().job.count({ where: { orgId: market.customer } })).toBe(before + 1);
  });

  it("lists, cancels, and reads the catalog and the balance", async () => {
    const c = client();
    const models = await c.models.list();
    expect(models.map((m) => m.slug)).toContain(ENCODER);
    const balance = await c.balance.get();
    expect(BigInt(balance.available)).toBeGreaterThan(0n);

    await stopWorker?.(); // nobody runs it: it stays queued until canceled
    const queued = await c.jobs.submit({ model: ENCODER, input: { text: "cancel me" } });
    const canceled = await c.jobs.cancel(queued.id);
    expect(canceled.state).toBe("canceled");
    const page = await c.jobs.list({ limit: 5 });
    expect(page.jobs[0]?.id).toBe(queued.id);
    expect(page.jobs[0]?.state).toBe("canceled");
  });
});

describe("README examples", () => {
  it("are the files the README shows, verbatim", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const name of ["run-a-job", "submit-and-wait", "errors", "verify-receipt"]) {
      const code = readFileSync(new URL(`../examples/${name}.ts`, import.meta.url), "utf8");
      expect(readme, `README.md must include examples/${name}.ts`).toContain(code.trim());
    }
  });

  it("run against the platform", async () => {
    const ran = await runAJob(apiKey, baseUrl);
    expect(ran.state).toBe("succeeded");
    const { done, models, balance } = await submitAndWait(apiKey, baseUrl);
    expect(done.state).toBe("succeeded");
    expect((done.output as { vectors: unknown[] }).vectors).toHaveLength(2);
    expect(models.length).toBeGreaterThan(0);
    expect(balance.available).toMatch(/^-?\d+$/);
    expect(await handleErrors(baseUrl)).toBeInstanceOf(AuthenticationError);
    const verdict = await checkReceipt(apiKey, baseUrl, ran.id);
    expect(verdict.valid).toBe(true);
  });
});

describe("proofgrid batch (the CLI as a child process)", () => {
  const cli = new URL("./cli.ts", import.meta.url).pathname;
  const lines = (file: string) =>
    existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
      : [];

  /** Runs the batch; with `killAt`, sends `signal` once the results file has that many lines. */
  async function batch(dir: string, killAt?: { lines: number; signal: NodeJS.Signals }) {
    const out = join(dir, "results.jsonl");
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", cli, "batch", ENCODER, join(dir, "inputs.jsonl"), "--out", out, "--concurrency", "4"],
      { env: { ...process.env, PROOFGRID_API_KEY: apiKey, PROOFGRID_BASE_URL: baseUrl }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    if (killAt) {
      const watch = setInterval(() => {
        if (lines(out).length >= killAt.lines) {
          child.kill(killAt.signal);
          clearInterval(watch);
        }
      }, 10);
      exited.finally(() => clearInterval(watch));
    }
    const [code, signal] = await exited;
    return { code, signal, stderr, out };
  }

  /** One CLI command; its exit code, stdout and stderr. */
  async function proofgrid(args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      env: { ...process.env, PROOFGRID_API_KEY: apiKey, PROOFGRID_BASE_URL: baseUrl, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    return { code, stdout, stderr };
  }

  it("login, models, balance, run, jobs get, jobs receipt --verify, jobs cancel", async () => {
    const dir = mkdtempSync(join(tmpdir(), "proofgrid-sdk-cli-"));
    try {
      const home = { XDG_CONFIG_HOME: dir, PROOFGRID_API_KEY: "", PROOFGRID_BASE_URL: "" };
      const login = await proofgrid(["login", "--base-url", baseUrl, "--api-key", apiKey], home);
      expect(login.code, login.stderr).toBe(0);
      const saved = join(dir, "proofgrid", "config.json");
      expect(JSON.parse(readFileSync(saved, "utf8"))).toEqual({ baseUrl, apiKey });
      const badLogin = await proofgrid(["login", "--base-url", baseUrl, "--api-key", `pg_${"A".repeat(12)}_${"b".repeat(43)}`], {
        XDG_CONFIG_HOME: join(dir, "other"),
      });
      expect(badLogin.code).toBe(1);
      expect(badLogin.stderr).toContain("401 UNAUTHORIZED");
      expect(existsSync(join(dir, "other", "proofgrid", "config.json"))).toBe(false);

      // The saved login is used when the environment names none.
      const models = await proofgrid(["models", "--json"], home);
      expect(models.code, models.stderr).toBe(0);
      expect((JSON.parse(models.stdout) as { slug: string }[]).map((m) => m.slug)).toContain(ENCODER);
      const balance = await proofgrid(["balance"], home);
      expect(balance.stdout).toMatch(/^available\t\d+(\.\d+)? tokens$/m);

      writeFileSync(join(dir, "note.txt"), "a note to embed\n");
      const run = await proofgrid(["run", ENCODER, join(dir, "note.txt")]);
      expect(run.code, run.stderr).toBe(0);
      const ran = JSON.parse(run.stdout) as { id: string; state: string; output: unknown };
      expect(ran.state).toBe("succeeded");
      expect(ran.output).toEqual(JSON.parse(JSON.stringify(await pipeline.run({ text: "a note to embed" }))));

      const get = await proofgrid(["jobs", "get", ran.id]);
      expect(JSON.parse(get.stdout)).toMatchObject({ id: ran.id, state: "succeeded" });
      const verify = await proofgrid(["jobs", "receipt", ran.id, "--verify", "--input", join(dir, "note.txt")]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toContain("✓ platformSignature");
      expect(verify.stdout).toContain("✓ input");
      expect(verify.stdout).toContain("receipt valid");
      // Another input does not match the signed inputHash.
      writeFileSync(join(dir, "other.txt"), "not what was sent");
      const wrong = await proofgrid(["jobs", "receipt", ran.id, "--verify", "--input", join(dir, "other.txt")]);
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain("receipt NOT valid");

      await stopWorker?.();
      const queued = await client().jobs.submit({ model: ENCODER, input: { text: "to cancel" } });
      const cancel = await proofgrid(["jobs", "cancel", queued.id]);
      expect(JSON.parse(cancel.stdout)).toMatchObject({ id: queued.id, state: "canceled" });
      const missing = await proofgrid(["jobs", "get", "00000000-0000-4000-8000-000000000000"]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("404 NOT_FOUND");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("killed twice (Ctrl-C, then SIGKILL) and run again: every input run exactly once, one result line each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "proofgrid-sdk-batch-"));
    try {
      const N = 40;
      writeFileSync(
        join(dir, "inputs.jsonl"),
        `${Array.from({ length: N }, (_, i) => JSON.stringify({ name: `t${i}`, input: { text: `batch text number ${i}` } })).join("\n")}\n`,
      );
      const before = await db().job.count({ where: { orgId: market.customer } });

      const first = await batch(dir, { lines: 8, signal: "SIGINT" });
      expect(first.code, first.stderr).toBe(130);
      const afterFirst = lines(first.out).length;
      expect(afterFirst).toBeGreaterThanOrEqual(8);
      expect(afterFirst).toBeLessThan(N);

      const second = await batch(dir, { lines: afterFirst + 8, signal: "SIGKILL" });
      expect(second.signal).toBe("SIGKILL");
      expect(lines(second.out).length).toBeLessThan(N);

      const third = await batch(dir);
      expect(third.code, third.stderr).toBe(0);
      expect(third.stderr).toContain(`${N}/${N} done`);

      const results = lines(third.out).map((l) => JSON.parse(l) as { name: string; jobId: string; state: string; output: unknown });
      expect(results.map((r) => r.name).sort()).toEqual(Array.from({ length: N }, (_, i) => `t${i}`).sort());
      expect(results.every((r) => r.state === "succeeded")).toBe(true);
      expect(new Set(results.map((r) => r.jobId)).size).toBe(N);
      // Exactly one job per input on the platform, however the runs were cut.
      expect(await db().job.count({ where: { orgId: market.customer } })).toBe(before + N);
      const t7 = results.find((r) => r.name === "t7");
      expect(t7?.output).toEqual(JSON.parse(JSON.stringify(await pipeline.run({ text: "batch text number 7" }))));

      // A fourth run finds nothing to do and submits nothing.
      const fourth = await batch(dir);
      expect(fourth.code).toBe(0);
      expect(fourth.stderr).toContain(`${N} from earlier runs`);
      expect(await db().job.count({ where: { orgId: market.customer } })).toBe(before + N);
      expect(lines(fourth.out)).toHaveLength(N);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
