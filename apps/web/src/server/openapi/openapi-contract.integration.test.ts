import { readdirSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "@proofgrid/db/sql-client";
import { compileErrors, validate } from "@readme/openapi-parser";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStripe, startLocalStripe } from "../../../../../tests/support/stripe-server.ts";
import { fundEarnings } from "../../../../../tests/support/payouts.ts";
import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { createApiKey } from "../auth/api-keys.ts";
import { API_SCOPES, type ApiScope } from "../auth/scopes.ts";
import { completeAs, createModel, createWorker, ENCODER, encoderOutput, jobRow, type TestWorker } from "../testing/job-fixtures.ts";
import { resetEnvCache } from "../env.ts";
import { createOrg, setupServiceDatabase } from "../testing/service-database.ts";
import { deliverDueWebhooks } from "../services/webhooks/deliver-webhooks.ts";
import { getOpenApiDocument } from "./document.ts";

// The REST API's contract: the OpenAPI document is valid OpenAPI 3.1, names every route file
// under app/api/v1 and app/v1 (and nothing else), and every operation in it, replayed with
// real requests against real Postgres through the route handlers themselves, answers only
// statuses it documents with bodies its schemas accept (strict objects: an undocumented field
// fails). Each operation is replayed at least once with a success and once with a client
// error, except those listed in NO_SUCCESS / NO_CLIENT_ERROR with the reason. A new route
// file fails "documents every route file" until registry.ts describes it.

// Payouts configured: a withdrawal request only records the withdrawal (the payout loop, not
// run here, broadcasts it), and with CHAIN_ID given nothing asks the RPC, so no chain runs.
// A public address: card purchases need one for Checkout's return links.
setupServiceDatabase({
  name: "openapi-contract",
  env: {
    CHAIN_RPC_URL: "http://127.0.0.1:9/",
    CHAIN_ID: "31337",
    TOKEN_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    PROOFGRID_URL: "https://proofgrid.test",
  },
});

const APP_DIR = fileURLToPath(new URL("../../app/", import.meta.url));
/** The route trees the document covers: the REST API and the OpenAI-compatible one. */
const ROUTE_TREES = ["api/v1", "v1"];
const ORIGIN = "http://localhost";
const METHODS = ["get", "post", "put", "patch", "delete"] as const;
type Method = (typeof METHODS)[number];

/** Operations whose success needs a service the test cannot reach, and why (none today). */
const NO_SUCCESS: Record<string, string> = {};

/** Operations a client cannot make fail: no key, no input. */
const NO_CLIENT_ERROR: Record<string, string> = {
  "get /api/v1/regions": "public and takes no input",
  "get /api/v1/network/live": "public and takes no input",
  "get /api/v1/openapi.json": "public and takes no input",
};

const doc = getOpenApiDocument();

// ---- Validating bodies against the document (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses)

const ajv = new Ajv2020({ strict: true, allErrors: true });
// OpenAPI 3.1's vocabulary besides JSON Schema's: annotations only.
ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);
ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
ajv.addFormat("email", /^[^\s@]+@[^\s@]+$/);

/** The document's `#/components/schemas/X` refs as refs into one schema ajv holds. */
function rebase<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (k, v) =>
    k === "$ref" && typeof v === "string" ? v.replace("#/components/schemas/", "openapi#/$defs/") : v,
  ) as T;
}
ajv.addSchema({ $id: "openapi", $defs: rebase(doc.components?.schemas ?? {}) });

const validators = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: unknown): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = ajv.compile(rebase(schema as object));
    validators.set(key, v);
  }
  return v;
}

// ---- Replaying requests through the route handlers

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** `/api/v1/jobs/{id}` → its route module, `app/api/v1/jobs/[id]/route.ts`. */
async function routeModule(path: string): Promise<Record<string, Handler>> {
  const dir = path.replace(/^\//, "").replace(/\{(\w+)\}/g, "[$1]");
  return (await import(/* @vite-ignore */ join(APP_DIR, dir, "route.ts"))) as Record<string, Handler>;
}

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** A body sent as these bytes, with the content type `headers` give (a tus PATCH). */
  rawBody?: Uint8Array;
  key?: string | null;
  headers?: Record<string, string>;
}

/** What each operation was answered with, for the coverage check at the end. */
const seen = new Map<string, Set<number>>();

/**
 * Calls the operation's handler with a real Request and checks the answer against the
 * document: a documented status, its content type, and a body its schema accepts.
 * Returns the status and the parsed body.
 */
async function replay(method: Method, path: string, call: Call = {}): Promise<{ status: number; body: unknown }> {
  const op = doc.paths?.[path]?.[method];
  expect(op, `${method} ${path} is documented`).toBeDefined();
  const concrete = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(call.params?.[name] ?? ""));
  const url = new URL(concrete, ORIGIN);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.key) headers.authorization = `Bearer ${call.key}`;
  const body = call.rawBody ? new Uint8Array(call.rawBody) : call.body === undefined ? undefined : JSON.stringify(call.body);
  if (typeof body === "string") headers["content-type"] = "application/json";
  const handler = (await routeModule(path))[method.toUpperCase()];
  expect(handler, `route file exports ${method.toUpperCase()}`).toBeTypeOf("function");
  const res = await (handler as Handler)(new Request(url, { method: method.toUpperCase(), headers, body }), {
    params: Promise.resolve(call.params ?? {}),
  });
  const text = await res.text();
  const where = `${method.toUpperCase()} ${url.pathname}${url.search} → ${res.status} ${text.slice(0, 500)}`;
  const documented = op?.responses?.[String(res.status)] as { content?: Record<string, { schema: unknown }> } | undefined;
  expect(documented, `status documented: ${where}`).toBeDefined();
  const [contentType, media] = Object.entries(documented?.content ?? {})[0] ?? [];
  if (documented && !documented.content) {
    // Documented without a body (a tus 204): none sent.
    expect(text, where).toBe("");
    const key = `${method} ${path}`;
    seen.set(key, (seen.get(key) ?? new Set()).add(res.status));
    return { status: res.status, body: null };
  }
  expect(res.headers.get("content-type") ?? "", where).toContain(contentType ?? "(none)");
  const parsed: unknown = contentType === "application/json" ? JSON.parse(text) : text;
  const check = validatorFor(`${method} ${path} ${res.status}`, media?.schema);
  const valid = check(parsed);
  expect(valid, `${where}\n${ajv.errorsText(check.errors, { separator: "\n" })}`).toBe(true);
  const key = `${method} ${path}`;
  seen.set(key, (seen.get(key) ?? new Set()).add(res.status));
  return { status: res.status, body: parsed };
}

/** replay, and the status must be `status`. */
async function expectStatus(status: number, method: Method, path: string, call: Call = {}) {
  const r = await replay(method, path, call);
  expect(r.status, `${method} ${path} ${JSON.stringify(r.body).slice(0, 300)}`).toBe(status);
  return r.body as Record<string, unknown>;
}

// ---- Fixtures: a customer and a provider with keys, the encoder, a worker

const MISSING = "00000000-0000-4000-8000-000000000000";
let customer: string;
let provider: string;
let customerKey: string;
let providerKey: string;
/** A key of the customer's with only `models:read`: every other scope is a 403. */
let narrowKey: string;
let worker: TestWorker;
let spareWorker: TestWorker;
/** The local Stripe stand-in the card purchase talks to (the real `stripe` SDK, over HTTP). */
let stripe: LocalStripe;
const savedEnv = new Map<string, string | undefined>();

async function key(orgId: string, scopes: ApiScope[]): Promise<string> {
  return (await createApiKey({ orgId, name: scopes.join(","), scopes })).key;
}

beforeAll(async () => {
  const modelId = await createModel(ENCODER);
  customer = await createOrg("oa-customer", "customer", 1_000_000_000n);
  provider = await createOrg("oa-provider", "provider", 1_000_000_000n);
  customerKey = await key(customer, [...API_SCOPES]);
  providerKey = await key(provider, [...API_SCOPES]);
  narrowKey = await key(customer, ["models:read"]);
  worker = await createWorker({ orgId: provider, models: [modelId], maxConcurrency: 4 });
  spareWorker = await createWorker({ orgId: provider, models: [modelId], status: "offline" });
  await fundEarnings(provider, 100_000_000n, "oa-provider");
  // 180 days of vesting begun 90 days ago: half of it claimable.
  await sql().$executeRaw`
    INSERT INTO reward_grants (id, epoch, org_id, role, amount, vest_start, vest_end)
    VALUES (gen_random_uuid(), 1, ${provider}::uuid, 'worker', 360000000, now() - interval '90 days', now() + interval '90 days')`;
  stripe = await startLocalStripe();
  for (const [k, v] of Object.entries(stripe.env)) {
    savedEnv.set(k, process.env[k]);
    process.env[k] = v;
  }
  resetEnvCache();
});

afterAll(async () => {
  await stripe?.close();
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
});

describe("the document", () => {
  it("is valid OpenAPI 3.1", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });

  it("documents every route file under app/api/v1 and app/v1, and only those", () => {
    const routes = ROUTE_TREES.flatMap((tree) =>
      readdirSync(join(APP_DIR, tree), { recursive: true, encoding: "utf8" })
        .filter((f) => f.split(sep).at(-1) === "route.ts")
        .map((f) => `/${tree}/${f.split(sep).slice(0, -1).join("/")}`.replace(/\[(\w+)\]/g, "{$1}")),
    );
    expect(routes.length).toBeGreaterThan(30);
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual(routes.sort());
  });

  it("answers every method it does not document with the JSON 405, so an undocumented handler shows", async () => {
    for (const path of Object.keys(doc.paths ?? {})) {
      const mod = await routeModule(path);
      for (const method of METHODS) {
        if (doc.paths?.[path]?.[method]) continue;
        const handler = mod[method.toUpperCase()];
        expect(handler, `${path} exports ${method.toUpperCase()}`).toBeTypeOf("function");
        const res = await (handler as Handler)(new Request(`${ORIGIN}${path}`, { method: method.toUpperCase() }), {
          params: Promise.resolve({ id: MISSING }),
        });
        expect(res.status, `${method.toUpperCase()} ${path} is documented or a 405`).toBe(405);
        // In the path's own error shape: the platform's, or OpenAI's under /v1.
        const check = validatorFor(path, doc.components?.schemas?.[path.startsWith("/v1/") ? "OpenAiError" : "Error"]);
        expect(check(await res.json()), `${method} ${path}`).toBe(true);
      }
    }
  });

  it("gives every request body an example its own schema accepts", () => {
    let examples = 0;
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of METHODS) {
        const media = (item?.[method]?.requestBody as { content?: Record<string, { schema: unknown; example?: unknown }> } | undefined)
          ?.content?.["application/json"];
        if (!media) continue;
        expect(media.example, `${method} ${path} has an example`).toBeDefined();
        const check = validatorFor(`${method} ${path} request`, media.schema);
        expect(check(media.example), `${method} ${path}: ${ajv.errorsText(check.errors)}`).toBe(true);
        examples++;
      }
    }
    expect(examples).toBeGreaterThan(10);
  });

  it("is served at GET /api/v1/openapi.json, the same document each time", async () => {
    const a = await expectStatus(200, "get", "/api/v1/openapi.json");
    expect(a).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});

describe("jobs", () => {
  let jobId: string;

  it("submits, reads, lists, waits for and verifies a job", async () => {
    const job = await expectStatus(201, "post", "/api/v1/jobs", {
      key: customerKey,
      body: { model: ENCODER, input: { text: "hello" }, idempotencyKey: "oa-job-1" },
    });
    jobId = job.id as string;
    // A retry answers the first response again, status and all (Stripe's semantics).
    const again = await expectStatus(201, "post", "/api/v1/jobs", {
      key: customerKey,
      body: { model: ENCODER, input: { text: "hello" }, idempotencyKey: "oa-job-1" },
    });
    expect(again.id).toBe(jobId);
    await expectStatus(200, "get", "/api/v1/jobs/{id}", { key: customerKey, params: { id: jobId } });
    await expectStatus(200, "get", "/api/v1/jobs", { key: customerKey, query: { limit: "5" } });
    await expectStatus(200, "get", "/api/v1/jobs/{id}/verification", { key: customerKey, params: { id: jobId } });
    await expectStatus(200, "post", "/api/v1/quote", { key: customerKey, body: { model: ENCODER } });
    await expectStatus(200, "post", "/api/v1/quote", { key: customerKey, body: { model: ENCODER, input: { text: "priced" } } });
  });

  it("answers a finished job with its worker, receipt and output, also through ?wait", async () => {
    const id = (
      await expectStatus(201, "post", "/api/v1/jobs", { key: customerKey, body: { model: ENCODER, input: { texts: ["a", "b"] } } })
    ).id as string;
    await sql().$executeRaw`
      UPDATE jobs SET state = 'running', node_id = ${worker.identity.id}::uuid, attempt = attempt + 1,
        lease_expires_at = now() + interval '1 minute', started_at = now()
      WHERE id = ${id}::uuid`;
    await completeAs(worker, { id, attempt: (await jobRow(id)).attempt }, encoderOutput(2));
    const done = await expectStatus(200, "get", "/api/v1/jobs/{id}", { key: customerKey, params: { id }, query: { wait: "5000" } });
    expect(done.state).toBe("succeeded");
    expect(done.receipt).not.toBeNull();
    await expectStatus(200, "get", "/api/v1/jobs", { key: customerKey, query: { state: "succeeded" } });
    await expectStatus(200, "get", "/api/v1/jobs/{id}/verification", { key: customerKey, params: { id } });
    // Proven wrong and refunded (as the dispute path leaves it): its free re-run.
    await sql().$executeRaw`UPDATE jobs SET verification = 'refunded' WHERE id = ${id}::uuid`;
    const rerun = await expectStatus(201, "post", "/api/v1/jobs/{id}/rerun", { key: customerKey, params: { id } });
    expect(rerun.rerunOf).toBe(id);
    await expectStatus(200, "get", "/api/v1/usage.csv", { key: customerKey });
  });

  it("submits a batch of jobs, and refuses a bad one whole", async () => {
    const jobs = [
      { model: ENCODER, input: { text: "one" } },
      { model: ENCODER, input: { texts: ["two", "three"] } },
    ];
    const batch = await expectStatus(201, "post", "/api/v1/jobs/batch", {
      key: customerKey,
      body: { jobs },
      headers: { "idempotency-key": "oa-batch-1" },
    });
    expect((batch.jobs as unknown[]).length).toBe(2);
    const again = await expectStatus(201, "post", "/api/v1/jobs/batch", {
      key: customerKey,
      body: { jobs },
      headers: { "idempotency-key": "oa-batch-1" },
    });
    expect(again).toEqual(batch);
    await expectStatus(400, "post", "/api/v1/jobs/batch", {
      key: customerKey,
      body: { jobs: [...jobs, { model: ENCODER, input: { text: "" } }] },
    });
    await expectStatus(400, "post", "/api/v1/jobs/batch", { key: customerKey, body: { jobs: [] } });
    await expectStatus(422, "post", "/api/v1/jobs/batch", {
      key: customerKey,
      body: { jobs: jobs.slice(1) },
      headers: { "idempotency-key": "oa-batch-1" },
    });
    await expectStatus(401, "post", "/api/v1/jobs/batch", { body: { jobs } });
    await expectStatus(403, "post", "/api/v1/jobs/batch", { key: narrowKey, body: { jobs } });
  });

  it("cancels a job", async () => {
    const job = await expectStatus(200, "delete", "/api/v1/jobs/{id}", { key: customerKey, params: { id: jobId } });
    expect(job.state).toBe("canceled");
  });

  it("refuses bad requests in the documented error shape", async () => {
    await expectStatus(401, "post", "/api/v1/jobs", { body: { model: ENCODER, input: { text: "x" } } });
    await expectStatus(403, "post", "/api/v1/jobs", { key: narrowKey, body: { model: ENCODER, input: { text: "x" } } });
    await expectStatus(400, "post", "/api/v1/jobs", { key: customerKey, body: { model: 7 } });
    await expectStatus(422, "post", "/api/v1/jobs", {
      key: customerKey,
      body: { model: ENCODER, input: { text: "other" }, idempotencyKey: "oa-job-1" },
    });
    await expectStatus(400, "get", "/api/v1/jobs", { key: customerKey, query: { state: "nope" } });
    await expectStatus(404, "get", "/api/v1/jobs/{id}", { key: customerKey, params: { id: MISSING } });
    await expectStatus(400, "get", "/api/v1/jobs/{id}", { key: customerKey, params: { id: jobId }, query: { wait: "-1" } });
    await expectStatus(404, "get", "/api/v1/jobs/{id}", { key: providerKey, params: { id: jobId } });
    await expectStatus(404, "delete", "/api/v1/jobs/{id}", { key: customerKey, params: { id: MISSING } });
    await expectStatus(404, "get", "/api/v1/jobs/{id}/verification", { key: customerKey, params: { id: MISSING } });
    await expectStatus(409, "post", "/api/v1/jobs/{id}/rerun", { key: customerKey, params: { id: jobId } });
    await expectStatus(400, "post", "/api/v1/quote", { key: customerKey, body: { model: "" } });
    await expectStatus(400, "get", "/api/v1/usage.csv", { key: customerKey, query: { from: "yesterday-ish" } });
    await expectStatus(401, "get", "/api/v1/usage.csv");
  });
});

describe("models, market and regions", () => {
  it("answers", async () => {
    const models = await expectStatus(200, "get", "/api/v1/models", { key: narrowKey });
    expect((models.models as unknown[]).length).toBeGreaterThan(0);
    await expectStatus(200, "get", "/api/v1/market", {});
    await expectStatus(200, "get", "/api/v1/market", { query: { model: ENCODER, region: "eu-central" } });
    await expectStatus(200, "get", "/api/v1/regions");
    await expectStatus(401, "get", "/api/v1/models");
    await expectStatus(400, "get", "/api/v1/market", { query: { region: "x".repeat(100) } });
  });
});

describe("billing", () => {
  it("answers the balance and history; refuses a bad purchase", async () => {
    await expectStatus(200, "get", "/api/v1/balance", { key: customerKey });
    const history = await expectStatus(200, "get", "/api/v1/billing/history", { key: customerKey });
    expect((history.items as unknown[]).length).toBeGreaterThan(0);
    await expectStatus(401, "get", "/api/v1/balance");
    await expectStatus(403, "get", "/api/v1/billing/history", { key: narrowKey });
    const purchase = { tokens: 1000 };
    const checkout = await expectStatus(201, "post", "/api/v1/billing/checkout", {
      key: customerKey,
      body: purchase,
      headers: { "idempotency-key": "oa-buy-1" },
    });
    expect(checkout.url).toMatch(/^https?:/);
    await expectStatus(201, "post", "/api/v1/billing/checkout", {
      key: customerKey,
      body: purchase,
      headers: { "idempotency-key": "oa-buy-1" },
    });
    await expectStatus(422, "post", "/api/v1/billing/checkout", {
      key: customerKey,
      body: { tokens: 2000 },
      headers: { "idempotency-key": "oa-buy-1" },
    });
    await expectStatus(400, "post", "/api/v1/billing/checkout", { key: customerKey, body: { tokens: -5 } });
    await expectStatus(403, "post", "/api/v1/billing/checkout", { key: narrowKey, body: { tokens: 1000 } });
  });
});

describe("nodes", () => {
  it("registers, updates, explains, stakes, unbonds and retires", async () => {
    await expectStatus(201, "post", "/api/v1/nodes/registration-tokens", { key: providerKey, body: {} });
    await expectStatus(201, "post", "/api/v1/nodes/registration-tokens", {
      key: providerKey,
      body: { role: "checker", region: "eu-central" },
    });
    const id = worker.identity.id;
    await expectStatus(200, "patch", "/api/v1/nodes/{id}", {
      key: providerKey,
      params: { id },
      body: { name: "renamed", askPricePerCu: "900" },
    });
    await expectStatus(200, "get", "/api/v1/nodes/{id}/diagnostics", { key: providerKey, params: { id } });
    await expectStatus(200, "get", "/api/v1/nodes/{id}/capability", { key: providerKey, params: { id } });
    const stake = { amount: "5000000", idempotencyKey: "oa-stake-1" };
    await expectStatus(201, "post", "/api/v1/nodes/{id}/stake", { key: providerKey, params: { id }, body: stake });
    await expectStatus(201, "post", "/api/v1/nodes/{id}/stake", { key: providerKey, params: { id }, body: stake });
    await expectStatus(200, "get", "/api/v1/nodes/{id}/stake", { key: providerKey, params: { id } });
    await expectStatus(201, "post", "/api/v1/nodes/{id}/unbond", { key: providerKey, params: { id }, body: { amount: "1000000" } });
    await expectStatus(200, "delete", "/api/v1/nodes/{id}", { key: providerKey, params: { id: spareWorker.identity.id } });
  });

  it("refuses bad requests", async () => {
    const id = worker.identity.id;
    await expectStatus(400, "post", "/api/v1/nodes/registration-tokens", { key: providerKey, body: { role: "boss" } });
    await expectStatus(400, "patch", "/api/v1/nodes/{id}", { key: providerKey, params: { id }, body: {} });
    await expectStatus(404, "patch", "/api/v1/nodes/{id}", { key: customerKey, params: { id }, body: { name: "mine" } });
    await expectStatus(409, "delete", "/api/v1/nodes/{id}", { key: providerKey, params: { id } });
    await expectStatus(404, "delete", "/api/v1/nodes/{id}", { key: customerKey, params: { id } });
    await expectStatus(404, "get", "/api/v1/nodes/{id}/diagnostics", { key: customerKey, params: { id } });
    await expectStatus(404, "get", "/api/v1/nodes/{id}/capability", { key: customerKey, params: { id } });
    await expectStatus(404, "get", "/api/v1/nodes/{id}/stake", { key: customerKey, params: { id } });
    await expectStatus(400, "post", "/api/v1/nodes/{id}/stake", { key: providerKey, params: { id }, body: { amount: "-1" } });
    await expectStatus(400, "post", "/api/v1/nodes/{id}/unbond", { key: providerKey, params: { id }, body: { amount: 5 } });
    await expectStatus(403, "post", "/api/v1/nodes/{id}/unbond", { key: narrowKey, params: { id }, body: { amount: "1" } });
  });
});

describe("reservations", () => {
  // After "nodes": a reservable worker has bonded stake.
  it("books, lists, reads and releases one", async () => {
    const body = { region: "local", minCuPerHour: 100, count: 1, hours: 1, idempotencyKey: "oa-res-1" };
    const r = await expectStatus(201, "post", "/api/v1/reservations", { key: customerKey, body });
    expect((await expectStatus(201, "post", "/api/v1/reservations", { key: customerKey, body })).id).toBe(r.id);
    const id = r.id as string;
    await expectStatus(200, "get", "/api/v1/reservations", { key: customerKey });
    await expectStatus(200, "get", "/api/v1/reservations", { key: customerKey, query: { status: "active", limit: "1" } });
    await expectStatus(200, "get", "/api/v1/reservations/{id}", { key: customerKey, params: { id } });
    const released = await expectStatus(200, "post", "/api/v1/reservations/{id}/release", { key: customerKey, params: { id } });
    expect(released.status).toBe("released");
    await expectStatus(422, "post", "/api/v1/reservations", { key: customerKey, body: { ...body, count: 2 } });
    await expectStatus(400, "post", "/api/v1/reservations", { key: customerKey, body: { region: "local" } });
    await expectStatus(400, "get", "/api/v1/reservations", { key: customerKey, query: { status: "nope" } });
    await expectStatus(404, "get", "/api/v1/reservations/{id}", { key: customerKey, params: { id: MISSING } });
    await expectStatus(404, "post", "/api/v1/reservations/{id}/release", { key: providerKey, params: { id } });
  });
});

describe("payouts", () => {
  it("quotes, links an address and lists withdrawals; refuses what it cannot do", async () => {
    await expectStatus(200, "get", "/api/v1/payouts/quote", { key: providerKey });
    await expectStatus(200, "get", "/api/v1/payouts/quote", { key: providerKey, query: { amount: "20000000" } });
    const none = await expectStatus(200, "get", "/api/v1/payouts/address", { key: providerKey });
    expect(none.address).toBeNull();
    const wallet = privateKeyToAccount(generatePrivateKey());
    const challenge = await expectStatus(201, "post", "/api/v1/payouts/address/challenge", {
      key: providerKey,
      body: { address: wallet.address },
    });
    const signature = await wallet.signMessage({ message: challenge.message as string });
    await expectStatus(200, "post", "/api/v1/payouts/address", {
      key: providerKey,
      body: { challengeId: challenge.challengeId, signature },
    });
    const linked = await expectStatus(200, "get", "/api/v1/payouts/address", { key: providerKey });
    expect(linked.address).toBe(wallet.address);
    const w = await expectStatus(201, "post", "/api/v1/payouts/withdrawals", {
      key: providerKey,
      body: { amount: "20000000", idempotencyKey: "oa-withdraw-1" },
    });
    expect(w.state).toBe("queued");
    await expectStatus(200, "post", "/api/v1/payouts/withdrawals", {
      key: providerKey,
      body: { amount: "20000000", idempotencyKey: "oa-withdraw-1" },
    });
    await expectStatus(200, "get", "/api/v1/payouts/withdrawals/{id}", { key: providerKey, params: { id: w.id as string } });
    await expectStatus(200, "get", "/api/v1/payouts/withdrawals", { key: providerKey });
    await expectStatus(200, "get", "/api/v1/payouts/quote", { key: providerKey, query: { amount: "20000000" } });

    await expectStatus(400, "get", "/api/v1/payouts/quote", { key: providerKey, query: { amount: "lots" } });
    await expectStatus(400, "post", "/api/v1/payouts/address/challenge", { key: providerKey, body: { address: "0x12" } });
    await expectStatus(400, "post", "/api/v1/payouts/address", { key: providerKey, body: { challengeId: MISSING, signature: "0x00" } });
    await expectStatus(401, "get", "/api/v1/payouts/withdrawals");
    await expectStatus(401, "get", "/api/v1/payouts/address");
    await expectStatus(400, "post", "/api/v1/payouts/withdrawals", { key: providerKey, body: { amount: "ten" } });
    await expectStatus(404, "get", "/api/v1/payouts/withdrawals/{id}", { key: providerKey, params: { id: MISSING } });
  });
});

describe("rewards", () => {
  it("answers the rewards and emissions, claims what has vested; with nothing left to claim, a 409", async () => {
    await expectStatus(200, "get", "/api/v1/rewards", { key: providerKey });
    await expectStatus(201, "post", "/api/v1/rewards/claim", { key: providerKey, body: { amount: "1000000" } });
    await expectStatus(201, "post", "/api/v1/rewards/claim", {
      key: providerKey,
      body: {},
      headers: { "idempotency-key": "oa-claim-all" },
    });
    await expectStatus(200, "post", "/api/v1/rewards/claim", {
      key: providerKey,
      body: {},
      headers: { "idempotency-key": "oa-claim-all" },
    });
    const after = await expectStatus(200, "get", "/api/v1/rewards", { key: providerKey });
    expect((after.claims as unknown[]).length).toBe(2);
    await expectStatus(200, "get", "/api/v1/rewards/emissions");
    // Far more than has vested (a moment's vesting is always there to claim, so not `{}`).
    await expectStatus(409, "post", "/api/v1/rewards/claim", { key: providerKey, body: { amount: "1000000000000000" } });
    await expectStatus(400, "post", "/api/v1/rewards/claim", { key: providerKey, body: { kind: "all" } });
    await expectStatus(401, "get", "/api/v1/rewards");
    await expectStatus(400, "get", "/api/v1/rewards/emissions", { query: { limit: "0" } });
  });
});

describe("network and verification (public)", () => {
  it("answers", async () => {
    await expectStatus(200, "get", "/api/v1/network/live");
    await expectStatus(200, "get", "/api/v1/network/recent", { query: { limit: "5" } });
    await expectStatus(200, "get", "/api/v1/network/providers");
    await expectStatus(200, "get", "/api/v1/network/providers", { query: { provider, limit: "1" } });
    await expectStatus(200, "get", "/api/v1/public-keys");
    await expectStatus(200, "get", "/api/v1/public-keys", { query: { node: worker.identity.id } });
    await expectStatus(200, "get", "/api/v1/verification/epochs", { query: { limit: "3" } });
    await expectStatus(400, "get", "/api/v1/network/recent", { query: { limit: "999" } });
    await expectStatus(400, "get", "/api/v1/network/providers", { query: { provider: "x" } });
    await expectStatus(400, "get", "/api/v1/public-keys", { query: { node: "x" } });
    await expectStatus(404, "get", "/api/v1/public-keys", { query: { node: MISSING } });
    await expectStatus(400, "get", "/api/v1/verification/epochs", { query: { limit: "0" } });
  });
});

describe("webhooks", () => {
  // A public IP literal: registration checks the address without DNS, and with the address
  // rules of production (no WEBHOOK_ALLOW_LOCAL_URLS). Nothing is posted to it: the endpoint
  // is disabled before the delivery loop runs, which fails a disabled endpoint's delivery
  // without a request.
  const URL_OK = "https://93.184.215.14/proofgrid/webhooks";
  const ENDPOINT = "/api/v1/webhooks/endpoints/{id}";

  it("registers, lists, reads, changes, rotates, tests and deletes an endpoint; shows its deliveries", async () => {
    const created = await expectStatus(201, "post", "/api/v1/webhooks/endpoints", {
      key: customerKey,
      body: { url: URL_OK, events: ["job.succeeded", "credits.low"], description: "contract" },
    });
    expect(created.secret).toMatch(/^whsec_/);
    const id = created.id as string;
    const readKey = await key(customer, ["jobs:read"]);
    const list = await expectStatus(200, "get", "/api/v1/webhooks/endpoints", { key: readKey });
    expect(list.endpoints).toEqual([expect.objectContaining({ id, url: URL_OK })]);
    expect(JSON.stringify(list)).not.toContain("whsec_");
    const got = await expectStatus(200, "get", ENDPOINT, { key: readKey, params: { id } });
    expect(got.secret).toBeUndefined();
    const changed = await expectStatus(200, "patch", ENDPOINT, {
      key: customerKey,
      params: { id },
      body: { events: ["job.failed"], description: "renamed" },
    });
    expect(changed.events).toEqual(["job.failed"]);
    const rotated = await expectStatus(200, "post", `${ENDPOINT}/rotate-secret`, { key: customerKey, params: { id } });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.previousSecretExpiresAt).not.toBeNull();
    const retired = await expectStatus(200, "post", `${ENDPOINT}/rotate-secret`, {
      key: customerKey,
      params: { id },
      body: { overlapSeconds: 0 },
    });
    expect(retired.previousSecretExpiresAt).toBeNull();

    const test = await expectStatus(202, "post", `${ENDPOINT}/test`, { key: customerKey, params: { id } });
    expect(test.type).toBe("webhook.test");
    const queued = await expectStatus(200, "get", `${ENDPOINT}/deliveries`, { key: readKey, params: { id } });
    expect(queued.deliveries).toEqual([
      expect.objectContaining({ eventId: test.eventId, type: "webhook.test", status: "pending", attempts: 0, log: [] }),
    ]);
    // Disabled, the delivery loop fails the delivery without posting: a log with one attempt.
    await expectStatus(200, "patch", ENDPOINT, { key: customerKey, params: { id }, body: { enabled: false } });
    expect(await deliverDueWebhooks()).toBe(1);
    const failed = await expectStatus(200, "get", `${ENDPOINT}/deliveries`, { key: readKey, params: { id }, query: { limit: "1" } });
    expect(failed.deliveries).toEqual([
      expect.objectContaining({
        status: "failed",
        attempts: 1,
        nextAttemptAt: null,
        log: [expect.objectContaining({ attempt: 1, statusCode: null, error: "endpoint disabled" })],
      }),
    ]);
    expect(failed.nextCursor).toBe((failed.deliveries as { id: string }[])[0]?.id);
    const after = await expectStatus(200, "get", `${ENDPOINT}/deliveries`, {
      key: readKey,
      params: { id },
      query: { cursor: failed.nextCursor as string },
    });
    expect(after).toEqual({ deliveries: [], nextCursor: null });
    await expectStatus(409, "post", `${ENDPOINT}/test`, { key: customerKey, params: { id } });

    expect(await expectStatus(200, "delete", ENDPOINT, { key: customerKey, params: { id } })).toEqual({ deleted: true });
    await expectStatus(404, "get", ENDPOINT, { key: customerKey, params: { id } });
  });

  it("refuses bad requests, and another organisation's endpoint as unknown", async () => {
    const endpoints = "/api/v1/webhooks/endpoints";
    await expectStatus(400, "post", endpoints, { key: customerKey, body: { url: "http://93.184.215.14/hook", events: ["job.failed"] } });
    await expectStatus(400, "post", endpoints, { key: customerKey, body: { url: "https://10.0.0.1/hook", events: ["job.failed"] } });
    await expectStatus(400, "post", endpoints, { key: customerKey, body: { url: URL_OK, events: ["job.started"] } });
    await expectStatus(403, "post", endpoints, {
      key: await key(customer, ["jobs:read"]),
      body: { url: URL_OK, events: ["job.failed"] },
    });
    await expectStatus(401, "get", endpoints);
    await expectStatus(403, "get", endpoints, { key: narrowKey });

    const id = (await expectStatus(201, "post", endpoints, { key: customerKey, body: { url: URL_OK, events: ["job.refunded"] } }))
      .id as string;
    await expectStatus(404, "get", ENDPOINT, { key: providerKey, params: { id } });
    await expectStatus(404, "get", ENDPOINT, { key: customerKey, params: { id: "not-a-uuid" } });
    await expectStatus(400, "patch", ENDPOINT, { key: customerKey, params: { id }, body: {} });
    await expectStatus(400, "patch", ENDPOINT, { key: customerKey, params: { id }, body: { url: "ftp://93.184.215.14/" } });
    await expectStatus(404, "patch", ENDPOINT, { key: providerKey, params: { id }, body: { enabled: false } });
    await expectStatus(400, "post", `${ENDPOINT}/rotate-secret`, { key: customerKey, params: { id }, body: { overlapSeconds: -1 } });
    await expectStatus(404, "post", `${ENDPOINT}/rotate-secret`, { key: providerKey, params: { id } });
    await expectStatus(404, "post", `${ENDPOINT}/test`, { key: providerKey, params: { id } });
    await expectStatus(400, "get", `${ENDPOINT}/deliveries`, { key: customerKey, params: { id }, query: { limit: "0" } });
    await expectStatus(404, "get", `${ENDPOINT}/deliveries`, { key: providerKey, params: { id } });
    await expectStatus(404, "delete", ENDPOINT, { key: providerKey, params: { id } });
    // Nothing the refusals named changed.
    const unchanged = await expectStatus(200, "get", ENDPOINT, { key: customerKey, params: { id } });
    expect(unchanged).toMatchObject({ events: ["job.refunded"], enabled: true, previousSecretExpiresAt: null });
    await expectStatus(200, "delete", ENDPOINT, { key: customerKey, params: { id } });
  });
});

describe("models (issue 17)", () => {
  const TUS = { "tus-resumable": "1.0.0" };

  it("uploads a model with tus, registers, reads, lists and deletes it", async () => {
    const bytes = goodModel(99);
    const created = await expectStatus(201, "post", "/api/v1/models/uploads", {
      key: customerKey,
      headers: { ...TUS, "upload-length": String(bytes.byteLength) },
    });
    const uploadId = created.id as string;
    await expectStatus(204, "patch", "/api/v1/models/uploads/{id}", {
      key: customerKey,
      params: { id: uploadId },
      headers: { ...TUS, "upload-offset": "0", "content-type": "application/offset+octet-stream" },
      rawBody: bytes,
    });
    const model = await expectStatus(201, "post", "/api/v1/models", { key: customerKey, body: { uploadId, name: "contract relu" } });
    const id = model.id as string;
    await expectStatus(200, "get", "/api/v1/models/{id}", { key: narrowKey, params: { id } });
    const listed = await expectStatus(200, "get", "/api/v1/models", { key: customerKey });
    expect((listed.models as { id: string }[]).map((m) => m.id)).toContain(id);
    const changed = await expectStatus(200, "patch", "/api/v1/models/{id}", {
      key: customerKey,
      params: { id },
      body: { visibility: "public", royalty: "2500" },
    });
    expect(changed.custom).toMatchObject({ visibility: "public", royalty: "2500" });
    await expectStatus(400, "patch", "/api/v1/models/{id}", { key: customerKey, params: { id }, body: { royalty: "-1" } });
    await expectStatus(404, "patch", "/api/v1/models/{id}", { key: providerKey, params: { id }, body: { royalty: "0" } });
    const abandoned = await expectStatus(201, "post", "/api/v1/models/uploads", {
      key: customerKey,
      headers: { ...TUS, "upload-length": "10" },
    });
    await expectStatus(204, "delete", "/api/v1/models/uploads/{id}", {
      key: customerKey,
      params: { id: abandoned.id as string },
      headers: TUS,
    });
    await expectStatus(200, "delete", "/api/v1/models/{id}", { key: customerKey, params: { id } });
  });

  it("refuses uploads and registrations it cannot take, and another organisation's", async () => {
    await expectStatus(413, "post", "/api/v1/models/uploads", {
      key: customerKey,
      headers: { ...TUS, "upload-length": String(1024 ** 3) },
    });
    await expectStatus(403, "post", "/api/v1/models/uploads", { key: narrowKey, headers: { ...TUS, "upload-length": "10" } });
    const created = await expectStatus(201, "post", "/api/v1/models/uploads", {
      key: customerKey,
      headers: { ...TUS, "upload-length": "10" },
    });
    const id = created.id as string;
    const patch = { "upload-offset": "0", "content-type": "application/offset+octet-stream" };
    await expectStatus(404, "patch", "/api/v1/models/uploads/{id}", {
      key: providerKey,
      params: { id },
      headers: { ...TUS, ...patch },
      rawBody: new Uint8Array(10),
    });
    await expectStatus(409, "patch", "/api/v1/models/uploads/{id}", {
      key: customerKey,
      params: { id },
      headers: { ...TUS, ...patch, "upload-offset": "5" },
      rawBody: new Uint8Array(5),
    });
    await expectStatus(404, "delete", "/api/v1/models/uploads/{id}", { key: providerKey, params: { id }, headers: TUS });
    await expectStatus(204, "patch", "/api/v1/models/uploads/{id}", {
      key: customerKey,
      params: { id },
      headers: { ...TUS, ...patch },
      rawBody: new Uint8Array(10),
    });
    // Ten zero bytes are not a model: refused with the reason.
    await expectStatus(422, "post", "/api/v1/models", { key: customerKey, body: { uploadId: id, name: "zeros" } });
    await expectStatus(400, "post", "/api/v1/models", { key: customerKey, body: { uploadId: "nope", name: "" } });
    await expectStatus(404, "get", "/api/v1/models/{id}", { key: customerKey, params: { id: "f".repeat(64) } });
    await expectStatus(404, "delete", "/api/v1/models/{id}", { key: customerKey, params: { id: "f".repeat(64) } });
  });
});

describe("OpenAI-compatible (/v1)", () => {
  /** The customer's newest queued job, once the embeddings call has submitted it (≤ 5 s). */
  async function queuedJob(after: Date): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const rows = await sql().$queryRaw<{ id: string }[]>`
        SELECT id FROM jobs WHERE org_id = ${customer}::uuid AND state = 'queued' AND created_at >= ${after} ORDER BY created_at DESC LIMIT 1`;
      if (rows[0]) return rows[0].id;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the embeddings call submitted no job within 5 s");
  }

  /** An embeddings call answered: its job run on the test's worker. */
  async function embed(body: Record<string, unknown>) {
    const started = new Date(Date.now() - 1_000);
    const call = replay("post", "/v1/embeddings", { key: customerKey, body });
    const id = await queuedJob(started);
    await sql().$executeRaw`
      UPDATE jobs SET state = 'running', node_id = ${worker.identity.id}::uuid, attempt = attempt + 1,
        lease_expires_at = now() + interval '1 minute', started_at = now()
      WHERE id = ${id}::uuid`;
    const texts = Array.isArray(body.input) ? body.input.length : 1;
    await completeAs(worker, { id, attempt: (await jobRow(id)).attempt }, encoderOutput(texts));
    return call;
  }

  it("lists models and embeds, as floats and as base64", async () => {
    await expectStatus(200, "get", "/v1/models", { key: narrowKey });
    const floats = await embed({ model: ENCODER, input: ["a", "b"] });
    expect(floats.status).toBe(200);
    const base64 = await embed({ model: ENCODER, input: "one", encoding_format: "base64" });
    expect(base64.status).toBe(200);
  });

  it("refuses in OpenAI's error shape", async () => {
    await expectStatus(401, "get", "/v1/models");
    await expectStatus(401, "post", "/v1/embeddings", { body: { model: ENCODER, input: "x" } });
    await expectStatus(400, "post", "/v1/embeddings", { key: customerKey, body: { model: ENCODER, input: 5 } });
    await expectStatus(400, "post", "/v1/embeddings", { key: customerKey, body: { model: ENCODER, input: "x", dimensions: 64 } });
    await expectStatus(404, "post", "/v1/embeddings", { key: customerKey, body: { model: "no-such-model", input: "x" } });
  });
});

// Last in the file: vitest runs a file's tests in order, so every replay above has been made.
it("replays every documented operation with a success and a client error", () => {
  const missing: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      if (!item?.[method]) continue;
      const key = `${method} ${path}`;
      const statuses = [...(seen.get(key) ?? [])];
      if (!statuses.some((s) => s < 300) && !NO_SUCCESS[key]) missing.push(`${key}: no success replayed`);
      if (!statuses.some((s) => s >= 400 && s < 500) && !NO_CLIENT_ERROR[key]) missing.push(`${key}: no client error replayed`);
    }
  }
  expect(missing).toEqual([]);
});
