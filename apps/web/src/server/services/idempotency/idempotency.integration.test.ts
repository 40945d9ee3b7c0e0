import { randomBytes, randomUUID } from "node:crypto";
import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as submitRoute } from "~/app/api/v1/jobs/route";
import { POST as stakeRoute } from "~/app/api/v1/nodes/[id]/stake/route";
import { POST as unbondRoute } from "~/app/api/v1/nodes/[id]/unbond/route";
import { POST as bookRoute } from "~/app/api/v1/reservations/route";
import { as } from "../../api/test-callers.ts";
import { createApiKey } from "../../auth/api-keys.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { nodeStakeCode, requiredStake, stakeNode } from "../verification/stake.ts";
import { IDEMPOTENCY_KEEP_MS, purgeIdempotencyKeys } from "./run-idempotent.ts";

// Idempotency keys through the real route handlers and tRPC, against a real Postgres:
// Stripe's rule (same key + same body → the same answer; another body → 422; concurrent
// duplicates wait and replay), and a key scoped to the resource it names.

let customer: string;
let customerKey: string;
let provider: string;
let providerKey: string;
const providerNodes: string[] = [];
const TOKENS = 1_000_000n;

const db = setupServiceDatabase({ name: "idem", env: { POR_STAKE_REQUIRED: "1" }, database: { maxConnections: 12 } });

beforeAll(async () => {
  // A row for the built-in encoder: submit checks its input with the real tokenizer.
  await db.t.prisma.model.create({
    data: {
      id: "ef".repeat(32),
      slug: "encoder-synthetic-minilm",
      name: "encoder",
      kind: "embedding",
      description: "",
      signature: {},
      baseCostMilliCu: 10,
    },
  });
  customer = await createOrg("customer", "customer", 100_000n * TOKENS);
  provider = await createOrg("provider", "provider", 100_000n * TOKENS);
  customerKey = (await createApiKey({ orgId: customer, name: "c", scopes: [...API_SCOPES] })).key;
  providerKey = (await createApiKey({ orgId: provider, name: "p", scopes: [...API_SCOPES] })).key;
  for (let i = 0; i < 3; i++) {
    const row = await db.t.prisma.node.create({
      data: {
        orgId: provider,
        name: `n${i}`,
        publicKey: randomBytes(32).toString("base64url"),
        region: "local",
        status: "online",
        models: [],
        claimedCuPerHour: 3600,
        cuPerHour: 3600,
      },
      select: { id: true },
    });
    providerNodes.push(row.id);
  }
  // The first node is bookable: staked to its minimum.
  await stakeNode({ orgId: provider, nodeId: providerNodes[0] as string, amount: requiredStake(3600), idempotencyKey: "setup" });
});

const balance = async (code: string) => (await getBalances(sql(), [code])).get(code) ?? 0n;

type Handler = (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
async function call(handler: Handler, opts: { key: string; body: unknown; idem?: string; id?: string }) {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.key}`, "content-type": "application/json" };
  if (opts.idem !== undefined) headers["idempotency-key"] = opts.idem;
  const res = await handler(new Request("http://127.0.0.1/api/v1/x", { method: "POST", headers, body: JSON.stringify(opts.body) }), {
    params: Promise.resolve({ id: opts.id ?? "" }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

describe("idempotency keys: same key and body → same answer; another body → 422", () => {
  it("stake 1 then 7 under one key: the second is refused with 422 and the stake stays 1", async () => {
    const node = providerNodes[1] as string;
    const key = randomUUID();
    const first = await call(stakeRoute, { key: providerKey, id: node, idem: key, body: { amount: "1" } });
    expect(first.status).toBe(201);
    const again = await call(stakeRoute, { key: providerKey, id: node, idem: key, body: { amount: "1" } });
    expect(again).toEqual(first);
    const other = await call(stakeRoute, { key: providerKey, id: node, idem: key, body: { amount: "7" } });
    expect(other.status).toBe(422);
    expect(other.body.error?.message).toMatch(/already used for a different request/);
    expect(await balance(nodeStakeCode(node))).toBe(1n);
    // The body's idempotencyKey field names the same key as the header.
    expect(await call(stakeRoute, { key: providerKey, id: node, body: { amount: "1", idempotencyKey: key } })).toEqual(first);
    expect((await call(stakeRoute, { key: providerKey, id: node, body: { amount: "7", idempotencyKey: key } })).status).toBe(422);
    // Header and body disagreeing is a 400 and moves nothing.
    expect((await call(stakeRoute, { key: providerKey, id: node, idem: "a", body: { amount: "1", idempotencyKey: "b" } })).status).toBe(
      400,
    );
    expect(await balance(nodeStakeCode(node))).toBe(1n);
    // No key (a provider's first try, issue 10): the stake runs once, and a retry is another stake.
    expect((await call(stakeRoute, { key: providerKey, id: node, body: { amount: "1" } })).status).toBe(201);
    expect(await balance(nodeStakeCode(node))).toBe(2n);
  });

  it("a key is scoped to the node it names: the same key stakes another node (finding 9)", async () => {
    const [a, b] = [providerNodes[1] as string, providerNodes[2] as string];
    const key = randomUUID();
    const beforeA = await balance(nodeStakeCode(a));
    const onA = await call(stakeRoute, { key: providerKey, id: a, idem: key, body: { amount: "5" } });
    const onB = await call(stakeRoute, { key: providerKey, id: b, idem: key, body: { amount: "5" } });
    expect(onA.status).toBe(201);
    expect(onB).toMatchObject({ status: 201, body: { created: true } });
    expect(onB.body.transferId).not.toBe(onA.body.transferId);
    expect(await balance(nodeStakeCode(a))).toBe(beforeA + 5n);
    expect(await balance(nodeStakeCode(b))).toBe(5n);
  });

  it("an unbond replay answers the stored request and release time; another amount is a 422 (finding 9)", async () => {
    const node = providerNodes[2] as string;
    const key = randomUUID();
    const first = await call(unbondRoute, { key: providerKey, id: node, idem: key, body: { amount: "2" } });
    expect(first.status).toBe(201);
    await new Promise((r) => setTimeout(r, 20));
    const again = await call(unbondRoute, { key: providerKey, id: node, idem: key, body: { amount: "2" } });
    expect(again).toEqual(first);
    const stored = await sql().$queryRaw<
      { release_at: Date }[]
    >`SELECT release_at FROM unbond_requests WHERE id = ${first.body.requestId as string}::uuid`;
    expect(stored[0]?.release_at.toISOString()).toBe(first.body.releaseAt);
    expect((await call(unbondRoute, { key: providerKey, id: node, idem: key, body: { amount: "3" } })).status).toBe(422);
    expect(await balance(nodeStakeCode(node))).toBe(3n);
  });

  it("10 concurrent bookings with one key: one reservation, and every answer the same 201", async () => {
    const key = randomUUID();
    const body = { region: "local", minCuPerHour: 1000, count: 1, hours: 1 };
    const held = await balance(orgAccountCode(customer, "held"));
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(bookRoute, { key: customerKey, idem: key, body })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(await db.t.prisma.reservation.count({ where: { orgId: customer } })).toBe(1);
    const oneHold = (await balance(orgAccountCode(customer, "held"))) - held;
    expect(oneHold).toBeGreaterThan(0n);
    // 700 hours instead of 1 under the same key: refused, nothing booked or held.
    const longer = await call(bookRoute, { key: customerKey, idem: key, body: { ...body, hours: 700 } });
    expect(longer.status).toBe(422);
    expect(await db.t.prisma.reservation.count({ where: { orgId: customer } })).toBe(1);
    expect((await balance(orgAccountCode(customer, "held"))) - held).toBe(oneHold);
    // tRPC names the same operation: the same key and body replay the booking there too.
    const byTrpc = await (await as(null, { authorization: `Bearer ${customerKey}`, "idempotency-key": key })).reservations.book(body);
    expect(byTrpc.reservation.id).toBe(answers[0]?.body.id);
  });

  it("submit with another price cap under the same key is a 422; the same body replays the job", async () => {
    const key = randomUUID();
    const body = { model: "encoder-synthetic-minilm", input: { text: "hello" }, maxPricePerCu: "60000" };
    const first = await call(submitRoute, { key: customerKey, idem: key, body });
    expect(first.status).toBe(201);
    expect(await call(submitRoute, { key: customerKey, idem: key, body })).toEqual(first);
    const cheaper = await call(submitRoute, { key: customerKey, idem: key, body: { ...body, maxPricePerCu: "1000" } });
    expect(cheaper.status).toBe(422);
    const otherText = await call(submitRoute, { key: customerKey, idem: key, body: { ...body, input: { text: "bye" } } });
    expect(otherText.status).toBe(422);
    expect(await db.t.prisma.job.count({ where: { orgId: customer } })).toBe(1);
    // Over tRPC with the body's field: the same job.
    const byTrpc = await (await as(null, { authorization: `Bearer ${customerKey}` })).jobs.submit({ ...body, idempotencyKey: key });
    expect(byTrpc.id).toBe(first.body.id);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("20 concurrent identical submits with one key: one job, one hold, and every answer the same 201 (issue 16)", async () => {
    const key = randomUUID();
    const body = { model: "encoder-synthetic-minilm", input: { text: "twenty at once" } };
    const jobsBefore = await db.t.prisma.job.count({ where: { orgId: customer } });
    const held = await balance(orgAccountCode(customer, "held"));
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(submitRoute, { key: customerKey, idem: key, body })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await db.t.prisma.job.count({ where: { orgId: customer } })).toBe(jobsBefore + 1);
    // One hold: the held account grew by the one job's hold, not twenty of them.
    const job = await db.t.prisma.job.findUniqueOrThrow({ where: { id: answers[0]?.body.id as string }, select: { price: true } });
    expect(job.price).toBeGreaterThan(0n);
    expect((await balance(orgAccountCode(customer, "held"))) - held).toBe(job.price);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("keys expire after 24 hours: the coordinator purges them", async () => {
    const key = randomUUID();
    await call(stakeRoute, { key: providerKey, id: providerNodes[1] as string, idem: key, body: { amount: "1" } });
    await sql()
      .$executeRaw`UPDATE idempotency_keys SET created_at = now() - make_interval(secs => ${IDEMPOTENCY_KEEP_MS / 1000 + 1}) WHERE key = ${key}`;
    expect(await purgeIdempotencyKeys()).toBe(1);
    expect(await db.t.prisma.idempotencyKey.count({ where: { key } })).toBe(0);
  });
});
