import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { samplingValue } from "@proofgrid/por";
import { describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { raiseBillingAlert } from "../billing/billing-alerts.ts";
import { samplingSecret } from "../verification/por-config.ts";
import { stakeNode } from "../verification/stake.ts";
import { check, createNode, createOrg, dispatch, jobRow, submit, work } from "../verification/testing/market-harness.ts";
import { createWebhookEndpoint } from "./webhook-endpoints.ts";

// job.refunded through the real fraud path (a sampled job re-executed by two checkers, proven
// wrong, refunded from the cheater's pot) and credits.low through the real billing alert:
// each event is queued in the transaction that makes the refund or raises the alert.

const T = 1_000_000n;

setupServiceDatabase({
  name: "webhook-refund",
  env: {
    POR_CHALLENGES: "0",
    POR_VERIFICATION_WINDOW_MS: "0",
    POR_REEXEC_FLOOR: "0.5",
    POR_REEXEC_CAP: "0.5",
    POR_PLANTED_RATE: "0",
    POR_DISPUTE_DEADLINE_MS: "600000",
    PRICE_PER_CU_BASE_UNITS: "50000",
    WEBHOOK_ALLOW_LOCAL_URLS: "1",
  },
});

interface QueuedEvent {
  type: string;
  body: string;
}

const eventsOf = (orgId: string) =>
  sql().$queryRaw<QueuedEvent[]>`SELECT type, body FROM webhook_events WHERE org_id = ${orgId}::uuid ORDER BY created_at`;

describe("webhook events of refunds and billing alerts", () => {
  it("queues job.refunded when a job proven wrong is refunded, with the refund in the job", async () => {
    const customer = await createOrg("refund-customer", "customer", 1_000n * T);
    await createWebhookEndpoint({
      orgId: customer,
      request: { url: "http://127.0.0.1:9/hooks", description: "", events: ["job.refunded"] },
    });
    const provider = await createOrg("refund-provider", "provider", 1_000n * T);
    const node = await createNode(provider);
    await stakeNode({ orgId: provider, nodeId: node.identity.id, amount: 500n * T });
    const checkers: Awaited<ReturnType<typeof createNode>>[] = [];
    for (const tag of ["a", "b"]) {
      const org = await createOrg(`checkers-${tag}`, "provider", 10_000n * T);
      const c = await createNode(org, { role: "checker" });
      await stakeNode({ orgId: org, nodeId: c.identity.id, amount: 3_000n * T });
      checkers.push(c);
    }
    // A job the sampler picks (the test holds the sampling secret); others are canceled.
    const secret = samplingSecret();
    let sampled: string | null = null;
    for (let i = 0; i < 40 && !sampled; i++) {
      const id = await submit(customer, `refund job ${i}`);
      if (samplingValue(secret, id) < 0.5) sampled = id;
      else await sql().$executeRaw`UPDATE jobs SET state = 'canceled' WHERE id = ${id}::uuid`;
    }
    if (!sampled) throw new Error("no sampled job drawn");
    await dispatch();
    expect((await work(node, false))?.jobId).toBe(sampled);
    expect(await eventsOf(customer)).toEqual([]);

    const [ca, cb] = checkers;
    if (!ca || !cb) throw new Error("no checkers");
    expect(await check(ca, true)).toMatchObject({ kind: "reexecution", status: "accepted" });
    expect(await eventsOf(customer)).toEqual([]);
    expect(await check(cb, true)).toMatchObject({ kind: "dispute", status: "accepted" });

    const row = await jobRow(sampled);
    expect(row.verification).toBe("refunded");
    const events = await eventsOf(customer);
    expect(events.map((e) => e.type)).toEqual(["job.refunded"]);
    const payload = JSON.parse(events[0]?.body ?? "{}") as { type: string; data: { job: Record<string, unknown> } };
    expect(payload.data.job).toMatchObject({
      id: sampled,
      verification: "refunded",
      refunded: String(row.refunded),
      price: String(row.price),
    });
    expect(payload.data.job.notice).toMatch(/refunded/);
  });

  it("queues credits.low with a low-balance alert, in its transaction, and nothing for other alerts", async () => {
    const org = await createOrg("low-credits", "customer", 5n * T);
    await createWebhookEndpoint({ orgId: org, request: { url: "http://127.0.0.1:9/hooks", description: "", events: ["credits.low"] } });
    const alert = {
      orgId: org,
      subject: "low",
      text: "low",
      data: { availableTokens: (5n * T).toString(), thresholdTokens: (10n * T).toString() },
    };
    // Rolled back with its alert: nothing.
    await expect(
      sqlTransaction(async (tx) => {
        await raiseBillingAlert(tx, { ...alert, kind: "low_balance", periodKey: "p0" });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await eventsOf(org)).toEqual([]);

    await sqlTransaction((tx) => raiseBillingAlert(tx, { ...alert, kind: "low_balance", periodKey: "p1" }));
    await sqlTransaction((tx) => raiseBillingAlert(tx, { ...alert, kind: "spend_cap_80", periodKey: "p1" }));
    const events = await eventsOf(org);
    expect(events.map((e) => e.type)).toEqual(["credits.low"]);
    expect(JSON.parse(events[0]?.body ?? "{}")).toMatchObject({
      type: "credits.low",
      data: { organizationId: org, available: "5000000", threshold: "10000000" },
    });
  });
});
