import { randomUUID } from "node:crypto";
import { checkLedger } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { generateNodeKeyPair, hashJson, signReceipt, signRequest } from "@proofgrid/por";
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as completeRoute } from "~/app/api/node/complete/route";
import { POST as failRoute } from "~/app/api/node/fail/route";
import { GET as marketRoute } from "~/app/api/v1/market/route";
import { GET as listJobsRoute, POST as submitRoute } from "~/app/api/v1/jobs/route";
import { POST as stakeRoute } from "~/app/api/v1/nodes/[id]/stake/route";
import { POST as quoteRoute } from "~/app/api/v1/quote/route";
import { POST as bookRoute } from "~/app/api/v1/reservations/route";
import { as, signUp } from "../api/test-callers.ts";
import { createApiKey } from "../auth/api-keys.ts";
import { API_SCOPES } from "../auth/scopes.ts";
import { grantCredits } from "../services/billing/grant-credits.ts";
import { ensureOrgAccounts } from "../services/billing/org-accounts.ts";
import { setupServiceDatabase } from "../testing/service-database.ts";

// Text Postgres cannot store — U+0000, or half of a UTF-16 surrogate pair — and numbers or
// nesting canonical JSON cannot hash, sent to every route that takes text: each is a 400
// (a tRPC BAD_REQUEST) that changes nothing, never a 500.

let orgId: string;
let apiKey: string;
let owner: string;
let nodeId: string;
let nodePrivateKey: string;
const MODEL = "ef".repeat(32);
const BAD = { nul: "a\u0000b", surrogate: "a\ud800b" } as const;

const db = setupServiceDatabase({ name: "badtext" });

beforeAll(async () => {
  await db.t.prisma.model.create({
    data: {
      id: MODEL,
      slug: "encoder-synthetic-minilm",
      name: "encoder",
      kind: "embedding",
      description: "",
      signature: {},
      baseCostMilliCu: 10,
    },
  });
  owner = await signUp("owner@example.com");
  orgId = (await (await as(owner)).account.createOrganization({ name: "Texts", kind: "both" })).orgId;
  await ensureOrgAccounts(sql(), orgId);
  await grantCredits({ orgId, amount: 10n ** 12n, idempotencyKey: "funds", memo: "test" });
  apiKey = (await createApiKey({ orgId, name: "k", scopes: [...API_SCOPES] })).key;
  const keys = generateNodeKeyPair();
  nodePrivateKey = keys.privateKey;
  nodeId = (
    await db.t.prisma.node.create({
      data: { orgId, name: "w", publicKey: keys.publicKey, region: "local", models: [MODEL], claimedCuPerHour: 3600, cuPerHour: 3600 },
      select: { id: true },
    })
  ).id;
});

type Handler = (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
async function rest(handler: Handler, opts: { method?: string; path?: string; body?: unknown; id?: string }) {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const res = await handler(
    new Request(`http://127.0.0.1${opts.path ?? "/api/v1/x"}`, {
      method: opts.method ?? "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body,
    }),
    { params: Promise.resolve({ id: opts.id ?? "" }) },
  );
  return { status: res.status, text: await res.text() };
}

/** A node-protocol POST signed by the test node over the exact bytes sent. */
async function signed(handler: Handler, path: string, bodyText: string) {
  const headers = signRequest({ nodeId, privateKey: nodePrivateKey, method: "POST", path, body: bodyText });
  const res = await handler(
    new Request(`http://127.0.0.1${path}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: bodyText }),
    { params: Promise.resolve({ id: "" }) },
  );
  return { status: res.status, text: await res.text() };
}

async function trpcCode(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return (err as TRPCError).code;
}

const state = async () => ({
  jobs: await db.t.prisma.job.count(),
  keys: await db.t.prisma.apiKey.count(),
  orgs: await db.t.prisma.organization.count(),
  reservations: await db.t.prisma.reservation.count(),
  transfers: (await checkLedger(sql())).transfers,
});

describe.each(Object.entries(BAD))("text with %s", (_name, bad) => {
  it("is a 400 on every REST route that takes text, and changes nothing", async () => {
    const before = await state();
    const cases: [string, () => Promise<{ status: number; text: string }>][] = [
      ["submit: model", () => rest(submitRoute, { body: { model: bad, input: { text: "x" } } })],
      ["submit: input text", () => rest(submitRoute, { body: { model: "encoder-synthetic-minilm", input: { text: bad } } })],
      ["submit: input texts", () => rest(submitRoute, { body: { model: "encoder-synthetic-minilm", input: { texts: ["ok", bad] } } })],
      [
        "submit: idempotency key",
        () => rest(submitRoute, { body: { model: "encoder-synthetic-minilm", input: { text: "x" }, idempotencyKey: bad } }),
      ],
      // A query string cannot carry a lone surrogate (it decodes to U+FFFD): NUL only there.
      [
        "list jobs: model",
        () =>
          rest(listJobsRoute, {
            method: "GET",
            path: `/api/v1/jobs?model=${encodeURIComponent(bad.replace(/[\ud800-\udfff]/g, "\u0000"))}`,
          }),
      ],
      ["quote: model", () => rest(quoteRoute, { body: { model: bad } })],
      [
        "market: model",
        () =>
          rest(marketRoute, {
            method: "GET",
            path: `/api/v1/market?model=${encodeURIComponent(bad.replace(/[\ud800-\udfff]/g, "\u0000"))}`,
          }),
      ],
      [
        "reservation: model",
        () => rest(bookRoute, { body: { region: "local", minCuPerHour: 1, count: 1, hours: 1, model: bad, idempotencyKey: "k1" } }),
      ],
      [
        "reservation: idempotency key",
        () => rest(bookRoute, { body: { region: "local", minCuPerHour: 1, count: 1, hours: 1, idempotencyKey: bad } }),
      ],
      ["stake: idempotency key", () => rest(stakeRoute, { id: nodeId, body: { amount: "1", idempotencyKey: bad } })],
    ];
    for (const [what, send] of cases) {
      const res = await send();
      expect(res.status, `${what}: ${res.text}`).toBe(400);
    }
    expect(await state()).toEqual(before);
  });

  it("is a BAD_REQUEST on every tRPC procedure that takes text, and changes nothing", async () => {
    const before = await state();
    const session = await as(owner);
    const byKey = await as(null, { authorization: `Bearer ${apiKey}` });
    expect(await trpcCode(session.keys.create({ name: bad, scopes: ["jobs:read"] }))).toBe("BAD_REQUEST");
    expect(await trpcCode(session.account.createOrganization({ name: `Org ${bad}`, kind: "customer" }))).toBe("BAD_REQUEST");
    expect(await trpcCode(byKey.jobs.submit({ model: bad, input: { text: "x" } }))).toBe("BAD_REQUEST");
    expect(await trpcCode(byKey.jobs.submit({ model: "encoder-synthetic-minilm", input: { text: bad } }))).toBe("BAD_REQUEST");
    expect(await trpcCode(byKey.jobs.list({ model: bad }))).toBe("BAD_REQUEST");
    expect(await trpcCode(byKey.market.quote({ model: bad }))).toBe("BAD_REQUEST");
    expect(await trpcCode(session.members.invite({ email: `x${bad}@example.com`, role: "member" }))).toBe("BAD_REQUEST");
    expect(await state()).toEqual(before);
  });

  it("is a 400 in a worker's failure message", async () => {
    const job = await runningJob();
    const res = await signed(
      failRoute,
      "/api/node/fail",
      JSON.stringify({ jobId: job, attempt: 1, kind: "error", retryable: false, error: `boom ${bad}` }),
    );
    expect(res.status, res.text).toBe(400);
  });

  it("is a 400 in a completion's output, and the job is not settled", async () => {
    const job = await runningJob();
    const res = await complete(job, { dim: 384, vectors: [[0]], note: bad });
    expect(res.status, res.text).toBe(400);
    const row = await db.t.prisma.job.findUniqueOrThrow({ where: { id: job }, select: { state: true } });
    expect(row.state).not.toBe("succeeded");
  });
});

describe("a node completion canonical JSON cannot hash", () => {
  it("1e999 (Infinity once parsed) is a 400", async () => {
    const job = await runningJob();
    const res = await signedComplete(job, '{"dim":384,"vectors":[[1e999]]}');
    expect(res.status, res.text).toBe(400);
  });

  it("nesting 5 000 deep is a 400", async () => {
    const job = await runningJob();
    const res = await signedComplete(job, `${"[".repeat(5_000)}${"]".repeat(5_000)}`);
    expect(res.status, res.text).toBe(400);
  });
});

/** A job of the test organisation running on the test node at attempt 1. */
async function runningJob(): Promise<string> {
  const id = randomUUID();
  await sql().$executeRaw`
    INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, attempt, lease_expires_at)
    VALUES (${id}::uuid, ${orgId}::uuid, ${MODEL}, 1, 0, ${hashJson({ text: "x" })}, 12, 'running', ${nodeId}::uuid, 1, now() + interval '1 minute')`;
  await sql().$executeRaw`INSERT INTO job_payloads (job_id, input) VALUES (${id}::uuid, '{"text":"x"}'::jsonb)`;
  return id;
}

function receiptFor(jobId: string, outputHash: string) {
  const now = new Date().toISOString();
  return signReceipt(
    {
      v: 1,
      jobId,
      attempt: 1,
      modelId: MODEL,
      inputHash: hashJson({ text: "x" }),
      outputHash,
      startedAt: now,
      finishedAt: now,
      inferenceMs: 1,
      nodeId,
    },
    nodePrivateKey,
  );
}

function complete(jobId: string, output: unknown) {
  return signed(
    completeRoute,
    "/api/node/complete",
    JSON.stringify({ jobId, attempt: 1, output, receipt: receiptFor(jobId, hashJson(output)) }),
  );
}

/** A completion whose output is raw JSON text (what a hostile worker can send). */
function signedComplete(jobId: string, outputText: string) {
  const receipt = receiptFor(jobId, "0".repeat(64));
  return signed(
    completeRoute,
    "/api/node/complete",
    `{"jobId":"${jobId}","attempt":1,"receipt":${JSON.stringify(receipt)},"output":${outputText}}`,
  );
}

describe("the error mapping's backstop", () => {
  it("turns Postgres's bad-text SQLSTATEs (22021, 22P05), from pg or through Prisma, into a 400", async () => {
    const { toAppError } = await import("../errors.ts");
    const viaPg = await sql().$queryRaw`SELECT ${"a\u0000b"}::text AS t`.catch((e: unknown) => e);
    const viaJsonb = await sql().$queryRaw`SELECT ${'{"a":"\\u0000"}'}::jsonb AS j`.catch((e: unknown) => e);
    const viaPrisma = await db.t.prisma.organization.findFirst({ where: { name: "a\u0000b" } }).catch((e: unknown) => e);
    for (const err of [viaPg, viaJsonb, viaPrisma]) {
      expect(err).toBeInstanceOf(Error);
      expect(toAppError(err, "r").code).toBe("BAD_REQUEST");
    }
    // Anything else stays a logged 500.
    expect(toAppError(new Error("boom"), "r").code).toBe("INTERNAL");
  });
});
