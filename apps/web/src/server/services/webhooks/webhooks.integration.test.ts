import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { storeLeasedJobResult } from "@proofgrid/db/nodes/job-completion";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { claimDueWebhookDeliveries } from "@proofgrid/db/webhooks/webhook-outbox";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as deliveriesRoute } from "~/app/api/v1/webhooks/endpoints/[id]/deliveries/route";
import { POST as rotateRoute } from "~/app/api/v1/webhooks/endpoints/[id]/rotate-secret/route";
import { DELETE as deleteRoute, GET as getRoute, PATCH as patchRoute } from "~/app/api/v1/webhooks/endpoints/[id]/route";
import { POST as testRoute } from "~/app/api/v1/webhooks/endpoints/[id]/test/route";
import { GET as listRoute, POST as createRoute } from "~/app/api/v1/webhooks/endpoints/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { resetEnvCache } from "../../env.ts";
import { encoderOutput, setupEncoderMarket, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { sweepLeases } from "../jobs/sweep-leases.ts";
import { completeJob } from "../nodes/complete-job.ts";
import { failJob } from "../nodes/fail-job.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { hashJson, signReceipt } from "@proofgrid/por";
import { attemptDelivery, deliverDueWebhooks, purgeOldWebhookEvents, recordDelivery } from "./deliver-webhooks.ts";
import { enqueueJobWebhook } from "./webhook-events.ts";

// Webhooks end to end against a real Postgres and a real HTTP receiver (node:http on port 0)
// that verifies every delivery with the standardwebhooks package: events written in the
// job's own transaction, delivered once per webhook-id even through a receiver's failures,
// re-delivered with the same id after a crash, tenant isolation, and refused input.

setupServiceDatabase({
  name: "webhooks",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", WEBHOOK_ALLOW_LOCAL_URLS: "1", WEBHOOK_MAX_ENDPOINTS_PER_ORG: "4" },
});
const market = setupEncoderMarket();

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A receiver as a customer would write one: verify, dedupe on webhook-id, answer 2xx. */
class Receiver {
  server: Server;
  /** Every request, in order. */
  requests: Received[] = [];
  /** Events accepted (verified, first time per id). */
  accepted = new Map<string, { type: string; data: unknown }>();
  /** Answer 500 to the first N requests of each webhook-id. */
  failFirst = 0;
  secrets: string[] = [];
  private seen = new Map<string, number>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const id = String(req.headers["webhook-id"]);
        const n = (this.seen.get(id) ?? 0) + 1;
        this.seen.set(id, n);
        let status = 204;
        if (n <= this.failFirst) status = 500;
        else if (!this.verifies(body, req.headers)) status = 401;
        else if (!this.accepted.has(id)) this.accepted.set(id, JSON.parse(body) as { type: string; data: unknown });
        this.requests.push({ headers: req.headers, body, status });
        res.writeHead(status).end(status === 500 ? "receiver is down" : "");
      });
    });
  }

  verifies(body: string, headers: IncomingHttpHeaders): boolean {
    return this.secrets.some((s) => {
      try {
        new Webhook(s).verify(body, headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  reset(): void {
    this.requests = [];
    this.accepted.clear();
    this.seen.clear();
    this.failFirst = 0;
  }
}

const receiver = new Receiver();
let receiverUrl: string;
let customerKey: string;
let otherOrg: string;
let otherKey: string;

beforeAll(async () => {
  receiverUrl = await receiver.start();
  customerKey = (await createApiKey({ orgId: market.customer, name: "c", scopes: [...API_SCOPES] })).key;
  otherOrg = await createOrg("other", "customer");
  otherKey = (await createApiKey({ orgId: otherOrg, name: "o", scopes: [...API_SCOPES] })).key;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.server.close(resolve));
});
beforeEach(async () => {
  receiver.reset();
  await sql().$executeRaw`DELETE FROM webhook_endpoints`;
  await sql().$executeRaw`DELETE FROM webhook_events`;
});

const params = (id: string) => ({ params: Promise.resolve({ id }) });

function req(method: string, path: string, key: string, body?: unknown): Request {
  return new Request(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function register(key: string, body: unknown): Promise<Response> {
  return createRoute(req("POST", "/api/v1/webhooks/endpoints", key, body));
}

async function registerReceiver(events: string[]): Promise<{ id: string; secret: string }> {
  const res = await register(customerKey, { url: receiverUrl, events });
  expect(res.status).toBe(201);
  const ep = (await res.json()) as { id: string; secret: string };
  expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  receiver.secrets = [ep.secret];
  return ep;
}

/** Makes every pending delivery due now (the retry schedule's waits, skipped). */
async function fastForward(): Promise<void> {
  // A second back, not now(): the column keeps milliseconds and rounds, so now() could be
  // stored up to half a millisecond ahead of a claim that follows within that half
  // millisecond, which then found nothing due (one run in about seven).
  await sql().$executeRaw`UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`;
}

/** Delivers, skipping the backoff waits, until nothing is pending (bounded). */
async function deliverAll(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await deliverDueWebhooks();
    const pending = await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`;
    if (pending[0]?.n === 0) return;
    await fastForward();
  }
  throw new Error("deliveries still pending after 10 rounds");
}

async function runOn(w: TestWorker, jobId: string): Promise<number> {
  expect((await new Dispatcher().tick()).placed).toBe(1);
  const leased = await leaseJob({ node: w.identity, waitMs: 0 });
  expect(leased?.jobId).toBe(jobId);
  return leased?.attempt ?? 0;
}

async function complete(w: TestWorker, jobId: string, attempt: number): Promise<void> {
  const output = encoderOutput(1);
  const job = await sql().$queryRaw<
    { model_id: string; input_hash: string }[]
  >`SELECT model_id, input_hash FROM jobs WHERE id = ${jobId}::uuid`;
  const now = new Date().toISOString();
  const receipt = signReceipt(
    {
      v: 1,
      jobId,
      attempt,
      modelId: job[0]?.model_id ?? "",
      inputHash: job[0]?.input_hash ?? "",
      outputHash: hashJson(output),
      startedAt: now,
      finishedAt: now,
      inferenceMs: 3,
      nodeId: w.identity.id,
    },
    w.privateKey,
  );
  await completeJob({ node: w.identity, request: { jobId, attempt, output, receipt } });
}

describe("webhooks", () => {
  it("delivers job.succeeded and job.failed once each, verified, through two 500s, with one webhook-id per event", async () => {
    await registerReceiver(["job.succeeded", "job.failed"]);
    receiver.failFirst = 2;
    const w = await market.worker();

    const ok = await market.submit("goes well");
    await complete(w, ok, await runOn(w, ok));
    const bad = await market.submit("crashes");
    const attempt = await runOn(w, bad);
    await failJob({ node: w.identity, request: { jobId: bad, attempt, kind: "error", retryable: false, error: "out of memory" } });

    await deliverAll();

    // Three requests per event (500, 500, 204), all with the event's one id; each accepted once.
    expect(receiver.requests).toHaveLength(6);
    expect(receiver.requests.map((r) => r.status).sort()).toEqual([204, 204, 500, 500, 500, 500]);
    const ids = new Set(receiver.requests.map((r) => String(r.headers["webhook-id"])));
    expect(ids.size).toBe(2);
    expect(receiver.accepted.size).toBe(2);
    const events = [...receiver.accepted.values()] as { type: string; data: { job: Record<string, unknown> } }[];
    const succeeded = events.find((e) => e.type === "job.succeeded");
    const failed = events.find((e) => e.type === "job.failed");
    expect(succeeded?.data.job).toMatchObject({ id: ok, state: "succeeded", model: "encoder-synthetic-minilm" });
    expect(succeeded?.data.job.receiptUrl).toMatch(new RegExp(`/api/v1/jobs/${ok}/verification$`));
    expect(typeof succeeded?.data.job.price).toBe("string");
    expect(failed?.data.job).toMatchObject({ id: bad, state: "failed", error: "out of memory" });
    // The job as GET /api/v1/jobs/:id shows it (same keys; no output).
    expect(Object.keys(succeeded?.data.job ?? {})).toEqual(
      expect.arrayContaining(["id", "model", "state", "price", "receipt", "verification"]),
    );
    expect(succeeded?.data.job).not.toHaveProperty("output");

    // A tampered delivery (body changed) fails verification with the package.
    const last = receiver.requests.find((r) => r.status === 204);
    if (!last) throw new Error("no delivery accepted");
    const tampered = last.body.replace(/"state":"(succeeded|failed)"/, '"state":"canceled"');
    expect(tampered).not.toBe(last.body);
    expect(() => new Webhook(receiver.secrets[0] ?? "").verify(tampered, last.headers as Record<string, string>)).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(receiver.secrets[0] ?? "").verify(last.body, last.headers as Record<string, string>)).not.toThrow();

    // The delivery log: three attempts each, 500, 500, 204.
    const list = (await (await listRoute(req("GET", "/api/v1/webhooks/endpoints", customerKey))).json()) as { endpoints: { id: string }[] };
    const epId = list.endpoints[0]?.id ?? "";
    const log = (await (
      await deliveriesRoute(req("GET", `/api/v1/webhooks/endpoints/${epId}/deliveries`, customerKey), params(epId))
    ).json()) as {
      deliveries: { status: string; attempts: number; eventId: string; log: { statusCode: number; latencyMs: number }[] }[];
    };
    expect(log.deliveries).toHaveLength(2);
    for (const d of log.deliveries) {
      expect(d).toMatchObject({ status: "delivered", attempts: 3 });
      expect(d.log.map((a) => a.statusCode)).toEqual([500, 500, 204]);
      expect(ids.has(d.eventId)).toBe(true);
    }
  });

  it("queues job.failed when the lease sweeper fails a job out of attempts", async () => {
    await registerReceiver(["job.failed"]);
    const w = await market.worker();
    const id = await market.submit("its worker vanished");
    await runOn(w, id);
    await sql().$executeRaw`UPDATE jobs SET max_attempts = 1, lease_expires_at = now() - interval '1 second' WHERE id = ${id}::uuid`;
    expect((await sweepLeases()).failed).toBe(1);
    await deliverAll();
    expect([...receiver.accepted.values()]).toEqual([
      {
        type: "job.failed",
        timestamp: expect.any(String),
        data: { job: expect.objectContaining({ id, state: "failed", error: "lease expired on every attempt" }) },
      },
    ]);
  });

  it("writes the event in the job's transaction: rolled back, no event; committed, one", async () => {
    await registerReceiver(["job.succeeded"]);
    const w = await market.worker();
    const jobId = await market.submit("rolled back");
    const attempt = await runOn(w, jobId);
    const [row] = await sql().$queryRaw<{ model_id: string; input_hash: string }[]>`
      SELECT model_id, input_hash FROM jobs WHERE id = ${jobId}::uuid`;
    const store = (tx: Parameters<typeof storeLeasedJobResult>[0]) =>
      storeLeasedJobResult(tx, {
        jobId,
        attempt,
        nodeId: w.identity.id,
        modelId: row?.model_id ?? "",
        inputHash: row?.input_hash ?? "",
        outputHash: "00",
        receipt: {},
        output: encoderOutput(1),
        inferenceMs: 1,
      });

    await expect(
      sqlTransaction(async (tx) => {
        expect(await store(tx)).not.toBeNull();
        expect(await enqueueJobWebhook(tx, { orgId: market.customer, jobId, type: "job.succeeded" })).not.toBeNull();
        throw new Error("the settlement failed");
      }),
    ).rejects.toThrow("the settlement failed");
    const events = () => sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_events`;
    expect((await events())[0]?.n).toBe(0);
    expect((await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries`)[0]?.n).toBe(0);

    // The real path commits one.
    await complete(w, jobId, attempt);
    expect((await events())[0]?.n).toBe(1);
  });

  it("re-delivers with the same webhook-id after a crash between the post and its record (at least once)", async () => {
    const ep = await registerReceiver(["job.succeeded"]);
    const res = await testRoute(req("POST", `/api/v1/webhooks/endpoints/${ep.id}/test`, customerKey), params(ep.id));
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };

    // A deliverer claims and posts, then dies before recording.
    const claimed = await claimDueWebhookDeliveries(sql(), { limit: 10, claimS: 60 });
    expect(claimed).toHaveLength(1);
    const first = claimed[0];
    if (!first) throw new Error("nothing claimed");
    expect((await attemptDelivery(first)).statusCode).toBe(204);
    // While its claim lasts nobody else takes it.
    expect(await deliverDueWebhooks()).toBe(0);
    // The claim runs out; the next deliverer sends it again, same id.
    await fastForward();
    expect(await deliverDueWebhooks()).toBe(1);
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([eventId, eventId]);
    expect(receiver.accepted.size).toBe(1);
    // The dead deliverer's late record changes nothing.
    await recordDelivery(first, { statusCode: 500, latencyMs: 1, error: null, response: null });
    const rows = await sql().$queryRaw<
      { status: string; attempts: number }[]
    >`SELECT status::text AS status, attempts FROM webhook_deliveries`;
    expect(rows).toEqual([{ status: "delivered", attempts: 2 }]);
  });

  it("forgets finished events after 30 days, and keeps one still being retried", async () => {
    const ep = await registerReceiver(["job.succeeded"]);
    for (let i = 0; i < 2; i++) await testRoute(req("POST", `/x/${ep.id}/test`, customerKey), params(ep.id));
    receiver.failFirst = 1;
    await deliverDueWebhooks();
    // One delivered after its retry, one still pending (its retry not yet due).
    await fastForward();
    await sql().$executeRaw`UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour'
      WHERE id = (SELECT id FROM webhook_deliveries ORDER BY id LIMIT 1)`;
    await deliverDueWebhooks();
    await sql().$executeRaw`UPDATE webhook_events SET created_at = now() - interval '31 days'`;
    expect(await purgeOldWebhookEvents()).toBe(1);
    const left = await sql().$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM webhook_deliveries`;
    expect(left).toEqual([{ status: "pending" }]);
  });

  it("rotates the secret: both secrets sign during the overlap, and the new one is shown once", async () => {
    const ep = await registerReceiver(["job.succeeded"]);
    const res = await rotateRoute(req("POST", `/api/v1/webhooks/endpoints/${ep.id}/rotate-secret`, customerKey, {}), params(ep.id));
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { secret: string; previousSecretExpiresAt: string };
    expect(rotated.secret).not.toBe(ep.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt)).toBeGreaterThan(Date.now() + 86_000_000);
    const shown = (await (await getRoute(req("GET", `/api/v1/webhooks/endpoints/${ep.id}`, customerKey), params(ep.id))).json()) as object;
    expect(shown).not.toHaveProperty("secret");

    receiver.secrets = [rotated.secret];
    await testRoute(req("POST", `/api/v1/webhooks/endpoints/${ep.id}/test`, customerKey), params(ep.id));
    await deliverAll();
    const got = receiver.requests[0];
    if (!got) throw new Error("nothing delivered");
    expect(String(got.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    for (const s of [ep.secret, rotated.secret]) {
      expect(() => new Webhook(s).verify(got.body, got.headers as Record<string, string>)).not.toThrow();
    }

    // overlapSeconds 0: only the newest signs.
    const again = (await (
      await rotateRoute(req("POST", `/api/v1/webhooks/endpoints/${ep.id}/rotate-secret`, customerKey, { overlapSeconds: 0 }), params(ep.id))
    ).json()) as { secret: string };
    receiver.reset();
    receiver.secrets = [again.secret];
    await testRoute(req("POST", `/api/v1/webhooks/endpoints/${ep.id}/test`, customerKey), params(ep.id));
    await deliverAll();
    const only = receiver.requests[0];
    if (!only) throw new Error("nothing delivered");
    expect(String(only.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(receiver.verifies(only.body, only.headers)).toBe(true);
    expect(() => new Webhook(rotated.secret).verify(only.body, only.headers as Record<string, string>)).toThrow();
  });

  it("keeps each organisation to its own endpoints and deliveries", async () => {
    const ep = await registerReceiver(["job.succeeded"]);
    await testRoute(req("POST", `/api/v1/webhooks/endpoints/${ep.id}/test`, customerKey), params(ep.id));
    const before = await sql().$queryRaw<unknown[]>`SELECT * FROM webhook_endpoints ORDER BY id`;

    const attempts: [string, Promise<Response>][] = [
      ["get", getRoute(req("GET", `/x/${ep.id}`, otherKey), params(ep.id))],
      ["patch", patchRoute(req("PATCH", `/x/${ep.id}`, otherKey, { enabled: false, url: "http://127.0.0.1:1/evil" }), params(ep.id))],
      ["delete", deleteRoute(req("DELETE", `/x/${ep.id}`, otherKey), params(ep.id))],
      ["rotate", rotateRoute(req("POST", `/x/${ep.id}/rotate-secret`, otherKey, {}), params(ep.id))],
      ["test", testRoute(req("POST", `/x/${ep.id}/test`, otherKey), params(ep.id))],
      ["deliveries", deliveriesRoute(req("GET", `/x/${ep.id}/deliveries`, otherKey), params(ep.id))],
    ];
    for (const [what, p] of attempts) {
      const res = await p;
      expect({ what, status: res.status }).toEqual({ what, status: 404 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
    const listed = (await (await listRoute(req("GET", "/api/v1/webhooks/endpoints", otherKey))).json()) as { endpoints: unknown[] };
    expect(listed.endpoints).toEqual([]);
    expect(await sql().$queryRaw<unknown[]>`SELECT * FROM webhook_endpoints ORDER BY id`).toEqual(before);
    expect((await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_events`)[0]?.n).toBe(1);
  });

  it("refuses bad input with a clear 400 and changes nothing", async () => {
    await registerReceiver(["job.failed"]);
    const count = async () => (await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_endpoints`)[0]?.n;
    const refused = async (body: unknown, pattern: RegExp) => {
      const res = await register(customerKey, body);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect({ body, status: res.status, message: json.error?.message }).toEqual({
        body,
        status: 400,
        message: expect.stringMatching(pattern),
      });
    };
    await refused({ url: "ftp://example.com/hook", events: ["job.failed"] }, /https/);
    await refused({ url: "not a url", events: ["job.failed"] }, /absolute URL/);
    await refused({ url: "https://example.com/hook", events: ["job.exploded"] }, /events/);
    await refused({ url: "https://example.com/hook", events: [] }, /events/);
    await refused({ url: "https://example.com/hook", events: ["job.failed", "job.failed"] }, /each event type once/);
    await refused({ url: `https://example.com/${"a".repeat(2_100)}`, events: ["job.failed"] }, /2048 characters/);
    await refused({ url: "https://user:pw@example.com/hook", events: ["job.failed"] }, /user name or password/);
    await refused({ url: "https://example.com/hook", events: ["job.failed"], secret: "mine" }, /secret/);

    // Without the development flag: http refused, and no private, loopback or link-local address.
    process.env.WEBHOOK_ALLOW_LOCAL_URLS = "0";
    resetEnvCache();
    try {
      await refused({ url: receiverUrl, events: ["job.failed"] }, /must use https/);
      for (const url of [
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
        "https://localhost/hook",
      ]) {
        await refused({ url, events: ["job.failed"] }, /private, loopback or link-local/);
      }
      // A public address passes the check (no request is made at registration).
      const res = await register(customerKey, { url: "https://93.184.215.14/hook", events: ["job.failed"] });
      expect(res.status).toBe(201);
      // PATCH checks the URL the same way.
      const { id } = (await res.json()) as { id: string };
      const patched = await patchRoute(req("PATCH", `/x/${id}`, customerKey, { url: "https://10.0.0.1/" }), params(id));
      expect(patched.status).toBe(400);
      expect((await (await getRoute(req("GET", `/x/${id}`, customerKey), params(id))).json()) as object).toMatchObject({
        url: "https://93.184.215.14/hook",
      });
      // And a delivery to a private address is refused at connect time too (DNS rebinding).
      await sql().$executeRaw`UPDATE webhook_endpoints SET url = 'https://localhost/hook' WHERE id = ${id}::uuid`;
      await testRoute(req("POST", `/x/${id}/test`, customerKey), params(id));
      await deliverDueWebhooks();
      const log = await sql().$queryRaw<{ error: string }[]>`
        SELECT a.error FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = ${id}::uuid`;
      expect(log).toEqual([{ error: expect.stringMatching(/not a public address/) }]);
    } finally {
      process.env.WEBHOOK_ALLOW_LOCAL_URLS = "1";
      resetEnvCache();
    }

    // The limit per organisation (4 in this file).
    expect(await count()).toBe(2);
    for (let i = 0; i < 2; i++) expect((await register(customerKey, { url: receiverUrl, events: ["job.failed"] })).status).toBe(201);
    await refused({ url: receiverUrl, events: ["job.failed"] }, /at most 4 webhook endpoints/);
    expect(await count()).toBe(4);

    // Unknown endpoint ids, and a malformed one: 404.
    expect((await getRoute(req("GET", "/x", customerKey), params("not-a-uuid"))).status).toBe(404);
    // A PATCH with nothing to change.
    const any = (await (await listRoute(req("GET", "/x", customerKey))).json()) as { endpoints: { id: string }[] };
    const first = any.endpoints[0]?.id ?? "";
    expect((await patchRoute(req("PATCH", "/x", customerKey, {}), params(first))).status).toBe(400);
  });
});
