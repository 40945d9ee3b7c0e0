import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  type CheckTask,
  countersignReceipt,
  generateNodeKeyPair,
  hashJson,
  type LeasedJob,
  NODE_PROTOCOL,
  type NodePath,
  pathForSigning,
  verifyCheckReport,
  verifyReceipt,
  verifySignedRequest,
} from "@proofgrid/por";
import { modelId } from "@proofgrid/models/model-files";
import { placeSpeech } from "@proofgrid/models/reference-inputs";
import pino from "pino";
import { afterEach, beforeEach, expect } from "vitest";
import { loadConfig, type WorkerConfig } from "../../config.ts";
import { loadIdentity, type NodeIdentity, saveIdentity } from "../../identity/node-identity.ts";
import { InferencePool } from "../../inference/inference-pool.ts";
import type { Logger } from "../../logger.ts";

// A scripted stand-in for the platform's side of the node protocol, for the daemon's unit
// tests (the real platform is covered end to end in tests/e2e). It speaks real HTTP on
// loopback and holds itself to the protocol as strictly as the daemon is held: every request
// must carry a valid node signature with a fresh nonce and parse with the path's request
// schema (else it lands in `violations`), and every reply it sends is parsed with the path's
// reply schema first, so it cannot drift from packages/por. Only `offProtocol` answers, which
// a test asks for by name, send a body the schema did not pass.

/** One request the platform received and accepted as the protocol's. */
export interface Received {
  path: NodePath;
  /** The request as its schema parsed it. */
  body: Record<string, unknown>;
  /** Date.now() when it arrived. */
  at: number;
}

/** What a scripted handler answers; `undefined` lets the fake's platform behaviour answer. */
export type Answer =
  /** 200 with this reply, which must parse with the path's reply schema. */
  | { reply: unknown }
  /** The platform's error shape, `{ error: { code, message } }`. */
  | { status: number; code: string; message: string }
  /** 200 with a body that is not the protocol's, to test that the daemon refuses it. */
  | { offProtocol: string };

export type Script = (req: Received) => Answer | undefined | Promise<Answer | undefined>;

export interface JobRecord {
  job: LeasedJob;
  /** `queued`: handed back (a release, or a failure worth retrying elsewhere). */
  state: "leased" | "completed" | "queued" | "failed";
  expiresAt: number;
  /** Set by `loseLease`: heartbeats answer ok: false and a completion is refused. */
  lost: boolean;
}

export interface JobOffer {
  modelId: string;
  modelSlug: string;
  input: unknown;
  attempt?: number;
  leaseMs?: number;
  /** An uploaded model's run (issue 17): the lease carries it as the platform's does. */
  custom?: LeasedJob["custom"];
}

type QueuedJob = JobOffer & { jobId: string };

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakePlatform {
  readonly received: Received[] = [];
  /** Requests refused as off the protocol, and the fake's own off-protocol replies: a test expects none. */
  readonly violations: string[] = [];
  readonly platformKeys = generateNodeKeyPair();
  readonly jobs = new Map<string, JobRecord>();
  private readonly nodes = new Map<string, string>();
  private readonly nonces = new Set<string>();
  private readonly jobQueue: QueuedJob[] = [];
  private readonly checkQueue: CheckTask[] = [];
  private readonly wakers = new Set<() => void>();
  private readonly scripts = new Map<NodePath, Script>();
  private server: Server;
  private port = 0;

  private constructor() {
    this.server = this.createServer();
  }

  static async start(): Promise<FakePlatform> {
    const platform = new FakePlatform();
    await platform.listen();
    return platform;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What registration does for the platform: it learns the node's public key. */
  trust(identity: Pick<NodeIdentity, "nodeId" | "publicKey">): void {
    this.nodes.set(identity.nodeId, identity.publicKey);
  }

  /** Queues a job for the next lease (a held long poll takes it at once); returns its id. */
  offerJob(offer: JobOffer): string {
    const jobId = randomUUID();
    this.jobQueue.push({ ...offer, jobId });
    this.wake();
    return jobId;
  }

  offerCheck(task: CheckTask): void {
    this.checkQueue.push(task);
    this.wake();
  }

  /** The lease moved on (expired, re-leased elsewhere): heartbeats now say so. */
  loseLease(jobId: string): void {
    const rec = this.jobs.get(jobId);
    if (!rec) throw new Error(`no leased job ${jobId}`);
    rec.lost = true;
  }

  /** Answers `path` with `script` first; its `undefined` falls through to the platform behaviour. */
  script(path: NodePath, script: Script): void {
    this.scripts.set(path, script);
  }

  requests(path: NodePath): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** The first request to `path` that `match` accepts, arrived or still to come. */
  waitForRequest(path: NodePath, match: (r: Received) => boolean = () => true, timeoutMs = 4_000): Promise<Received> {
    return waitFor(() => this.requests(path).find(match), timeoutMs, `a ${path} request`);
  }

  /** Stops listening and drops every connection: the platform is unreachable. */
  async goDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.wake();
  }

  /** Listens again on the same port. */
  async comeBack(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.goDown();
  }

  private listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private createServer(): Server {
    return createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
          this.violations.push(`fake platform crashed on ${req.url}: ${String(err)}`);
          if (!res.headersSent) res.writeHead(500).end();
        });
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const path = pathForSigning(req.url ?? "/") as NodePath;
    const hungUp = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) hungUp.abort();
    });
    const refuse = (status: number, code: string, message: string) => {
      this.violations.push(`${path}: ${message}`);
      send(res, { status, code, message });
    };
    if (req.method !== "POST" || !Object.hasOwn(NODE_PROTOCOL, path)) return refuse(404, "NOT_FOUND", "not a node-protocol path");
    const auth = await verifySignedRequest({
      headers: req.headers,
      method: req.method,
      path,
      body: raw,
      publicKeyFor: (nodeId) => this.nodes.get(nodeId),
    });
    if (!auth.ok) return refuse(401, "UNAUTHORIZED", `signature refused: ${auth.reason}`);
    if (this.nonces.has(auth.nonce)) return refuse(401, "UNAUTHORIZED", "replayed nonce");
    this.nonces.add(auth.nonce);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString("utf8"));
    } catch {
      return refuse(400, "BAD_REQUEST", "body is not JSON");
    }
    const parsed = NODE_PROTOCOL[path].request.safeParse(json);
    if (!parsed.success) return refuse(400, "BAD_REQUEST", `request off the protocol: ${parsed.error.message}`);
    const received: Received = { path, body: parsed.data as Record<string, unknown>, at: Date.now() };
    this.received.push(received);

    let answer: Answer;
    try {
      answer = (await this.scripts.get(path)?.(received)) ?? (await this.behave(received, auth.nodeId, hungUp.signal));
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      answer = { status: err.status, code: err.code, message: err.message };
    }
    if ("reply" in answer) {
      // The fake's own reply must be the protocol's: a test that scripts a wrong one fails here.
      const ok = NODE_PROTOCOL[path].reply.safeParse(answer.reply);
      if (!ok.success) {
        this.violations.push(`the fake's own ${path} reply is off the protocol: ${ok.error.message}`);
        return send(res, { status: 500, code: "FAKE_BUG", message: "scripted reply off the protocol" });
      }
    }
    send(res, answer);
  }

  /** The platform's behaviour for each path, reduced to what the daemon can observe. */
  private async behave(req: Received, nodeId: string, hungUp: AbortSignal): Promise<Answer> {
    const b = req.body;
    switch (req.path) {
      case "/api/node/lease": {
        const offer = await this.takeNext(this.jobQueue, b.waitMs as number, hungUp);
        return { reply: { job: offer ? this.lease(offer) : null } };
      }
      case "/api/node/heartbeat":
        return { reply: { leases: (b.leases as { jobId: string; attempt: number }[]).map((l) => this.renew(l)), status: "online" } };
      case "/api/node/complete":
        return { reply: this.complete(b, nodeId) };
      case "/api/node/fail": {
        const rec = this.held(b.jobId as string, b.attempt as number);
        rec.state = b.kind === "release" || b.retryable ? "queued" : "failed";
        return { reply: { state: rec.state } };
      }
      case "/api/node/checks/lease":
        return { reply: { check: (await this.takeNext(this.checkQueue, b.waitMs as number, hungUp)) ?? null } };
      case "/api/node/checks/report": {
        const signed = verifyCheckReport(b as never, this.nodes.get(nodeId) ?? "");
        return { reply: { status: signed ? "accepted" : "refused" } };
      }
      case "/api/node/goodbye":
        return { reply: { status: "offline", offersReturned: 0 } };
      default:
        throw new Refusal(404, "NOT_FOUND", `${req.path} is not played by the fake platform`);
    }
  }

  /** The head of `queue`, waiting up to `waitMs` for one (the long poll); null if none came. */
  private async takeNext<T>(queue: T[], waitMs: number, hungUp: AbortSignal): Promise<T | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      // A worker that hung up (stopping) must not be handed anything.
      if (hungUp.aborted || !this.server.listening) return null;
      const next = queue.shift();
      if (next !== undefined) return next;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakers.delete(done);
          hungUp.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.wakers.add(done);
        hungUp.addEventListener("abort", done, { once: true });
      });
    }
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private lease(offer: QueuedJob): LeasedJob {
    const leaseMs = offer.leaseMs ?? 60_000;
    const expiresAt = Date.now() + leaseMs;
    const job: LeasedJob = {
      jobId: offer.jobId,
      attempt: offer.attempt ?? 1,
      modelId: offer.modelId,
      modelSlug: offer.modelSlug,
      input: offer.input,
      leaseExpiresAt: new Date(expiresAt).toISOString(),
      leaseMs,
      ...(offer.custom ? { custom: offer.custom } : {}),
    };
    this.jobs.set(job.jobId, { job, state: "leased", expiresAt, lost: false });
    return job;
  }

  private renew(l: { jobId: string; attempt: number }) {
    const rec = this.jobs.get(l.jobId);
    const live = rec && rec.job.attempt === l.attempt && rec.state === "leased" && !rec.lost && rec.expiresAt > Date.now();
    if (!live) return { jobId: l.jobId, attempt: l.attempt, ok: false, leaseExpiresAt: null };
    rec.expiresAt = Date.now() + rec.job.leaseMs;
    return { jobId: l.jobId, attempt: l.attempt, ok: true, leaseExpiresAt: new Date(rec.expiresAt).toISOString() };
  }

  /** The lease `attempt` of `jobId`, if this node still holds it (the fencing check). */
  private held(jobId: string, attempt: number): JobRecord {
    const rec = this.jobs.get(jobId);
    if (!rec) throw new Refusal(404, "NOT_FOUND", "job not found");
    if (rec.job.attempt !== attempt || rec.state !== "leased" || rec.lost || rec.expiresAt <= Date.now()) {
      throw new Refusal(409, "CONFLICT", `lease lost: job is ${rec.state} at attempt ${rec.job.attempt}`);
    }
    return rec;
  }

  /** The platform's acceptance checks (complete-job.ts), then its countersignature. */
  private complete(b: Record<string, unknown>, nodeId: string) {
    const receipt = b.receipt as Parameters<typeof countersignReceipt>[0];
    if (receipt.jobId !== b.jobId || receipt.attempt !== b.attempt || receipt.nodeId !== nodeId) {
      throw new Refusal(400, "BAD_REQUEST", "receipt does not match the job, attempt or node");
    }
    if (receipt.outputHash !== hashJson(b.output)) throw new Refusal(400, "BAD_REQUEST", "receipt outputHash does not match the output");
    if (!verifyReceipt(receipt, this.nodes.get(nodeId) ?? "")) throw new Refusal(400, "BAD_REQUEST", "receipt signature is invalid");
    const rec = this.held(b.jobId as string, b.attempt as number);
    if (receipt.modelId !== rec.job.modelId || receipt.inputHash !== hashJson(rec.job.input)) {
      throw new Refusal(400, "BAD_REQUEST", "receipt model or input hash does not match the job");
    }
    rec.state = "completed";
    return { status: "accepted", receipt: countersignReceipt(receipt, this.platformKeys.privateKey) };
  }
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  const [status, body] =
    "reply" in answer
      ? [200, JSON.stringify(answer.reply)]
      : "offProtocol" in answer
        ? [200, answer.offProtocol]
        : [answer.status, JSON.stringify({ error: { code: answer.code, message: answer.message } })];
  res.writeHead(status, { "content-type": "application/json" }).end(body);
}

/** Polls `probe` until it returns something other than undefined/false. */
export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 4_000, what = "the condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A node as `register` leaves it: a fresh key in node.json in its own directory, pointing at
 * `platform`, which now knows its public key. Loaded back with loadIdentity, as `start` does.
 */
export function registerNode(platform: FakePlatform): { identity: NodeIdentity; dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "pg-daemon-test-"));
  saveIdentity(dir, { ...generateNodeKeyPair(), nodeId: randomUUID(), url: platform.url, region: "local", name: "daemon-test" });
  const identity = loadIdentity(dir);
  platform.trust(identity);
  return { identity, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A node `registerNode` made. */
export type RegisteredNode = ReturnType<typeof registerNode>;

/** A daemon (or one of its loops) a test started: its stop signal and what resolves once it has stopped. */
export interface StartedDaemon {
  stop: AbortController;
  done: Promise<void>;
}

export interface FakePlatformHooks {
  /** The running test's platform. */
  fake: () => FakePlatform;
  /** The running test's node, registered with its platform. */
  node: () => RegisteredNode;
  /** Stops and awaits `daemon` when the test ends, before its platform closes. */
  track: (daemon: StartedDaemon) => void;
}

/**
 * Registers a beforeEach that starts a fresh platform and registers a node with it, and an
 * afterEach that stops every tracked daemon, closes the platform, removes the node's
 * directory and fails the test if the platform saw anything off the protocol. Call it at the
 * top of the file; the accessors answer from the file's own beforeEach hooks and its tests on.
 */
export function useFakePlatform(): FakePlatformHooks {
  let fake: FakePlatform | undefined;
  let node: RegisteredNode | undefined;
  const started: StartedDaemon[] = [];

  beforeEach(async () => {
    fake = await FakePlatform.start();
    node = registerNode(fake);
  });
  afterEach(async () => {
    try {
      for (const d of started.splice(0)) {
        d.stop.abort();
        await d.done;
      }
    } finally {
      await fake?.close();
      node?.remove();
    }
    expect(fake?.violations).toEqual([]);
  });

  return {
    fake: () => {
      if (!fake) throw new Error("useFakePlatform: the platform starts in beforeEach; read it from a test");
      return fake;
    },
    node: () => {
      if (!node) throw new Error("useFakePlatform: the node is registered in beforeEach; read it from a test");
      return node;
    },
    track: (daemon) => {
      started.push(daemon);
    },
  };
}

/** The daemon's configuration as `start` builds it (loadConfig), with a test's short intervals. */
export function testConfig(dir: string, overrides: Partial<Record<keyof WorkerConfig, string | number>>): WorkerConfig {
  return loadConfig({ PROOFGRID_NODE_DIR: dir, LOG_LEVEL: "debug", ...overrides });
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A real pino logger whose lines a test can read back. */
export function captureLog(): { log: Logger; lines: LogLine[]; count: (msg: string) => number } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const log: Logger = pino({ level: "debug", base: { svc: "worker" } }, sink);
  return { log, lines, count: (msg) => lines.filter((l) => l.msg === msg).length };
}

/** The smallest catalog model (Silero VAD, 2 MB, shipped in node_modules) and an input for it. */
export async function vadJob(): Promise<JobOffer> {
  return {
    modelId: await modelId("vad-silero-v5"),
    modelSlug: "vad-silero-v5",
    input: { audio: placeSpeech(3.5, [0.5]).wav.toString("base64") },
  };
}

/**
 * The real inference pool as `start` builds it (one onnxruntime thread per job slot), with
 * the model loaded by one run first: the tests time the daemon, not a cold model load.
 */
export async function warmPool(config: WorkerConfig, offer: JobOffer): Promise<InferencePool> {
  const pool = new InferencePool(
    config.CONCURRENCY,
    { intraOpNumThreads: config.INTRA_OP_THREADS, graphOptimizationLevel: config.GRAPH_OPTIMIZATION, executionProvider: "cpu" },
    { timeoutMs: config.INFERENCE_TIMEOUT_MS, heapMb: config.INFERENCE_HEAP_MB },
  );
  const r = await pool.run(offer.modelSlug, offer.input);
  if (!r.ok) throw new Error(`the test model does not run here: ${r.error}`);
  return pool;
}
