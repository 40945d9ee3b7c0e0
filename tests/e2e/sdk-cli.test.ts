import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPrismaClient } from "@proofgrid/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, Proofgrid } from "../../packages/sdk/src/index.ts";
import { verifyReceipt } from "../../packages/sdk/src/verify.ts";
import { type Stack, startStack } from "../support/stack.ts";

// The SDK and the `proofgrid` CLI against the running stack (production web build, the
// coordinator, real worker daemons): a batch of 200 encoder texts through the CLI as a child
// process, interrupted with Ctrl-C (SIGINT) after about 50 results and run again, finishes
// with every input run exactly once: 200 jobs for the organisation, 200 result lines, one per input.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "packages/sdk/src/cli.ts");
const MODEL = "encoder-synthetic-minilm";
const N = 200;

let stack: Stack;
let prisma: ReturnType<typeof createPrismaClient>;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000 });
  prisma = createPrismaClient(stack.database.url, { maxConnections: 2 });
  await Promise.all([stack.addWorker("a", { CONCURRENCY: "2" }), stack.addWorker("b", { CONCURRENCY: "2" })]);
  dir = mkdtempSync(join(tmpdir(), "proofgrid-sdk-cli-"));
});
afterAll(async () => {
  await prisma?.$disconnect();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
    : [];
}

/** `proofgrid batch` as a user runs it (node + tsx, the key and URL from the environment); `interruptAt` sends SIGINT at that many results. */
async function runBatch(input: string, out: string, interruptAt?: number) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", CLI, "batch", MODEL, input, "--out", out, "--concurrency", "8"], {
    cwd: ROOT,
    env: { ...process.env, PROOFGRID_API_KEY: stack.apiKey, PROOFGRID_BASE_URL: stack.url, PROOFGRID_CONFIG: join(dir, "none.json") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let watch: NodeJS.Timeout | undefined;
  if (interruptAt !== undefined) {
    watch = setInterval(() => {
      if (lines(out).length >= interruptAt) {
        child.kill("SIGINT");
        clearInterval(watch);
      }
    }, 20);
  }
  const [code, signal] = await exited.finally(() => clearInterval(watch));
  return { code, signal, stderr };
}

describe("the proofgrid CLI and the SDK against the running stack", () => {
  it("a batch of 200, interrupted after ~50 results and run again, runs each input exactly once", async () => {
    const input = join(dir, "inputs.jsonl");
    const out = join(dir, "results.jsonl");
    writeFileSync(
      input,
      `${Array.from({ length: N }, (_, i) => JSON.stringify({ name: `text-${i}`, input: { text: `sdk batch input ${i}: verified inference` } })).join("\n")}\n`,
    );
    const org = stack.seed.customerOrgId;
    const jobsBefore = await prisma.job.count({ where: { orgId: org } });

    const first = await runBatch(input, out, 50);
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toContain("run the same command again to resume");
    const afterInterrupt = lines(out).length;
    expect(afterInterrupt).toBeGreaterThanOrEqual(50);
    expect(afterInterrupt).toBeLessThan(N);
    // Jobs in flight when it stopped were submitted once and are not submitted again.
    expect(await prisma.job.count({ where: { orgId: org } })).toBeLessThan(jobsBefore + N);

    const second = await runBatch(input, out);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`${N}/${N} done`);

    const results = lines(out).map((l) => JSON.parse(l) as { name: string; jobId: string; state: string; output: { vectors: number[][] } });
    expect(results).toHaveLength(N);
    expect(new Set(results.map((r) => r.name)).size).toBe(N);
    expect(results.every((r) => r.state === "succeeded" && r.output.vectors[0]?.length === 384)).toBe(true);
    const ids = new Set(results.map((r) => r.jobId));
    expect(ids.size).toBe(N);
    // Exactly one job per input: the platform holds 200 new jobs for the organisation, the ones the results name.
    const jobs = await prisma.job.findMany({ where: { orgId: org }, select: { id: true } });
    expect(jobs.length - jobsBefore).toBe(N);
    for (const r of results) expect(jobs.some((j) => j.id === r.jobId)).toBe(true);
    // And through the API.
    const client = new Proofgrid({ apiKey: stack.apiKey, baseUrl: stack.url });
    let listed = 0;
    for (let cursor: string | undefined, page = 0; page < 20; page++) {
      const res = await client.jobs.list({ model: MODEL, limit: 200, ...(cursor ? { cursor } : {}) });
      listed += res.jobs.filter((j) => ids.has(j.id)).length;
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    expect(listed).toBe(N);
  });

  it("the SDK runs a job whose receipt verifies offline; a bad key is an AuthenticationError", async () => {
    const client = new Proofgrid({ apiKey: stack.apiKey, baseUrl: stack.url });
    const text = "sdk e2e";
    const job = await client.jobs.run({ model: MODEL, input: { text } }, { waitTimeoutMs: 120_000 });
    expect((job.output as { vectors: number[][] }).vectors[0]).toHaveLength(384);
    const verdict = verifyReceipt(await client.jobs.receipt(job.id), { input: { text } });
    expect(verdict.checks.filter((c) => c.ok === false)).toEqual([]);
    expect(verdict.valid).toBe(true);

    const bad = new Proofgrid({ apiKey: `pg_${"A".repeat(12)}_${"b".repeat(43)}`, baseUrl: stack.url });
    expect(await bad.balance.get().catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError);
  });
});
