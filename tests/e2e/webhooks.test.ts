import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Stack, startStack } from "../support/stack.ts";

// Webhooks through the real processes: a job run by a worker daemon, settled by the web
// process, its event written to the outbox and delivered by the coordinator's loop to a
// receiver in this test, which verifies every request with the standardwebhooks package and
// fails the first two. Local URLs are a developer's setting (WEBHOOK_ALLOW_LOCAL_URLS=1, as
// the README says for trying webhooks against `npm start`).

interface Received {
  id: string;
  body: string;
  headers: Record<string, string>;
  verified: { type: string; data: { job?: { id: string; state: string } } } | null;
  answered: number;
}

let stack: Stack;
let receiver: Server;
let hookUrl: string;
let ownerKey: string;
let secret = "";
const received: Received[] = [];
/** Events accepted (answered 2xx), by webhook-id: a receiver's dedupe. */
const accepted = new Map<string, Received>();

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000, env: { WEBHOOK_ALLOW_LOCAL_URLS: "1", WEBHOOK_DELIVERY_INTERVAL_MS: "200" } });
  await stack.addWorker("w1");
  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  ownerKey = (await createApiKey({ orgId: stack.seed.customerOrgId, name: "owner", scopes: ["jobs:read", "jobs:write", "keys:write"] }))
    .key;
  receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified: Received["verified"] = null;
      try {
        verified = new Webhook(secret).verify(body, headers) as Received["verified"];
      } catch {
        verified = null;
      }
      const id = headers["webhook-id"] ?? "";
      // The first two requests fail: the platform must retry with the same webhook-id.
      const answered = !verified ? 400 : received.length < 2 ? 500 : 204;
      const r = { id, body, headers, verified, answered };
      received.push(r);
      if (answered === 204 && !accepted.has(id)) accepted.set(id, r);
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/proofgrid`;
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

describe("webhooks end to end: signed, retried, delivered once", () => {
  it("job.succeeded reaches the receiver, verified, once, after two failures, with the same webhook-id every time", async () => {
    const created = await api<{ id: string; secret: string }>(stack, "/api/v1/webhooks/endpoints", {
      key: ownerKey,
      body: { url: hookUrl, events: ["job.succeeded", "job.failed"] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    secret = created.body.secret;

    const job = await api<{ id: string }>(stack, "/api/v1/jobs", {
      body: { model: "encoder-synthetic-minilm", input: { text: "tell me when done" } },
    });
    expect(job.status).toBe(201);
    const done = await api<{ state: string }>(stack, `/api/v1/jobs/${job.body.id}?wait=60000`);
    expect(done.body.state).toBe("succeeded");

    // Retries come 5 s and 30 s after the failures.
    const deadline = Date.now() + 120_000;
    while (![...accepted.values()].some((r) => r.verified?.data.job?.id === job.body.id) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const mine = received.filter((r) => r.verified?.data.job?.id === job.body.id);
    expect(mine.map((r) => r.answered)).toEqual([500, 500, 204]);
    expect(new Set(mine.map((r) => r.id)).size).toBe(1);
    const event = accepted.get(mine[0]?.id ?? "");
    expect(event?.verified).toMatchObject({ type: "job.succeeded", data: { job: { id: job.body.id, state: "succeeded" } } });
    // Every request was verified; nothing else arrived.
    expect(received.every((r) => r.verified !== null)).toBe(true);

    // A tampered delivery fails verification.
    const tampered = (event?.body ?? "").replace('"succeeded"', '"failed"');
    expect(() => new Webhook(secret).verify(tampered, event?.headers ?? {})).toThrow(WebhookVerificationError);

    // The delivery log says the same.
    const endpointId = created.body.id;
    const log = await api<{ deliveries: { eventId: string; status: string; log: { statusCode: number | null }[] }[] }>(
      stack,
      `/api/v1/webhooks/endpoints/${endpointId}/deliveries`,
      { key: ownerKey },
    );
    const delivery = log.body.deliveries.find((d) => d.eventId === mine[0]?.id);
    expect(delivery?.status).toBe("delivered");
    expect(delivery?.log.map((a) => a.statusCode)).toEqual([500, 500, 204]);
  });

  it("another organisation's key cannot see or test the endpoint", async () => {
    const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
    const other = (await createApiKey({ orgId: stack.seed.providerOrgId, name: "other", scopes: ["jobs:read", "keys:write"] })).key;
    const list = await api<{ endpoints: unknown[] }>(stack, "/api/v1/webhooks/endpoints", { key: other });
    expect(list.status).toBe(200);
    expect(list.body.endpoints).toEqual([]);
  });
});
