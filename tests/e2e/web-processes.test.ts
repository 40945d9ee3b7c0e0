import { createPrismaClient } from "@proofgrid/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";
import { sendFresh, webProcessesAnswering } from "../support/web-processes.ts";

// WEB_PROCESSES=2 (issue 15, scale out): one port served by two node:cluster workers of
// web-server.ts, which share nothing but Postgres. Each answer names its worker
// (x-proofgrid-web-process); each request here opens its own connection, so the primary
// hands them to the workers in turn (tests/support/web-processes.ts).

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { WEB_PROCESSES: "2" } });
  await stack.addWorker("w1");
});
afterAll(async () => {
  await stack?.stop();
});

const send = (path: string, init: Parameters<typeof sendFresh>[2] = {}) => sendFresh(stack.url, path, { ...init, apiKey: stack.apiKey });
const answering = (done: (seen: Set<string>) => boolean) => webProcessesAnswering(stack.url, done);

/** The primary's log: each worker's id and pid as it starts listening. */
function listening(): { worker: number; pid: number }[] {
  return stack.webLogs.flatMap((l) => {
    try {
      const e = JSON.parse(l) as { msg?: string; worker?: number; pid?: number };
      return e.msg === "web: worker listening" && e.worker !== undefined && e.pid !== undefined ? [{ worker: e.worker, pid: e.pid }] : [];
    } catch {
      return [];
    }
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("the web server with WEB_PROCESSES=2", () => {
  it("answers on one port from two processes", async () => {
    const seen = await answering((s) => s.size >= 2);
    expect([...seen].sort()).toEqual(["1", "2"]);
    expect(
      listening()
        .map((l) => l.worker)
        .sort(),
    ).toEqual([1, 2]);
  });

  it("runs jobs submitted and waited on through either process, each process listening for NOTIFY itself", async () => {
    const waitedIn = new Set<string>();
    for (let i = 0; i < 12 && (waitedIn.size < 2 || i < 4); i++) {
      const sub = await send("/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text: `two processes ${i}` } } });
      expect(sub.status).toBe(201);
      const { id } = JSON.parse(sub.body) as { id: string };
      // Every other job, one more connection in between: the waits fall to both workers.
      if (i % 2 === 1) await send("/api/health");
      const done = await send(`/api/v1/jobs/${id}?wait=30000`);
      expect(JSON.parse(done.body)).toMatchObject({ id, state: "succeeded" });
      if (done.process) waitedIn.add(done.process);
    }
    expect(waitedIn.size).toBe(2);
    // A job's NOTIFY reaches every session that LISTENs: one connection per web process
    // (events/job-events.ts), so a client waiting in one is woken by a completion in the
    // other (and by its 1 s re-check if a wake-up is missed).
    const prisma = createPrismaClient(stack.database.url, { maxConnections: 1 });
    try {
      const rows = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'proofgrid-web-events' AND query = 'LISTEN proofgrid_jobs'`;
      expect(rows[0]?.n).toBe(2);
    } finally {
      await prisma.$disconnect();
    }
  });

  it("resumes an upload in another process: the file and its lock are the same for both", async () => {
    const TUS = { "tus-resumable": "1.0.0" };
    const bytes = new Uint8Array(64 * 1024).map((_, i) => i % 251);
    const half = bytes.byteLength / 2;
    const created = await send("/api/v1/models/uploads", {
      method: "POST",
      headers: { ...TUS, "upload-length": String(bytes.byteLength) },
    });
    expect(created.status, created.body).toBe(201);
    const { id } = JSON.parse(created.body) as { id: string };
    const path = `/api/v1/models/uploads/${id}`;
    const patch = (offset: number, chunk: Uint8Array) =>
      send(path, {
        method: "PATCH",
        bytes: chunk,
        headers: { ...TUS, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
      });
    const first = await patch(0, bytes.subarray(0, half));
    expect(first.status).toBe(204);
    // HEADs on new connections until one reaches the other process: it sees the same offset.
    let other: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 10 && !other; i++) {
      const h = await send(path, { method: "HEAD", headers: TUS });
      expect(h.status).toBe(200);
      expect(h.headers["upload-offset"]).toBe(String(half));
      if (h.process !== first.process) other = h;
    }
    expect(other?.process).toBeDefined();
    // The rest, wherever it lands, then HEAD again: the whole file.
    expect((await patch(half, bytes.subarray(half))).status).toBe(204);
    const done = await send(path, { method: "HEAD", headers: TUS });
    expect(done.headers["upload-offset"]).toBe(String(bytes.byteLength));
    // Both processes locked the upload in Postgres (one lock connection each), and every
    // lock was let go.
    const prisma = createPrismaClient(stack.database.url, { maxConnections: 1 });
    try {
      const rows = await prisma.$queryRaw<{ sessions: number; locks: number }[]>`
        SELECT count(DISTINCT a.pid)::int AS sessions, count(l.pid)::int AS locks
        FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory'
        WHERE a.datname = current_database() AND a.application_name = 'proofgrid-web-upload-locks'`;
      expect(rows[0]).toEqual({ sessions: 2, locks: 0 });
    } finally {
      await prisma.$disconnect();
    }
  });

  it("starts another process when one dies, and stops them all on SIGTERM", async () => {
    const [first] = listening();
    if (!first) throw new Error("no worker in the web log");
    process.kill(first.pid, "SIGKILL");
    await waitFor("a third worker to listen", async () => listening().some((l) => l.worker === 3));
    const seen = await answering((s) => s.has("3") && s.size >= 2);
    expect(seen.has(String(first.worker))).toBe(false);

    const pids = listening().map((l) => l.pid);
    // The worker daemon first, as the stack's own stop does: its goodbye needs the web.
    await Promise.all(stack.workers.map((w) => w.proc.stop(5_000)));
    const stoppingAt = Date.now();
    await stack.web.stop(15_000);
    expect(await stack.web.exited).toBe(0);
    // Inside the primary's 10 s grace (web-cluster.ts): the workers closed, none was killed.
    expect(Date.now() - stoppingAt).toBeLessThan(8_000);
    expect(pids.filter(alive)).toEqual([]);
  });
});
