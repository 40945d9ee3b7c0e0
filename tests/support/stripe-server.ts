import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

// A small stand-in for Stripe's API on loopback, for the tests (Stripe's servers cannot be
// reached from these machines). The app talks to it with the real `stripe` SDK through the
// SDK's own host/port/protocol options (STRIPE_API_BASE), so every request and answer goes
// through the SDK's encoding, retries and error classes. It answers the few endpoints the
// app calls, in Stripe's response shapes (taken from the SDK's types and Stripe's OpenAPI
// fixtures): customers.create, checkout.sessions.create/retrieve, paymentIntents.create/
// retrieve, with Stripe's Idempotency-Key semantics (same key and parameters: the first
// answer again; other parameters: an idempotency_error). It also stands in for the hosted
// Checkout page: GET <session url> shows the purchase, "Pay" completes it, sends the signed
// webhooks to the app and redirects to the success URL. Webhooks are signed for real with
// `Stripe.webhooks.generateTestHeaderString`.

type Obj = Record<string, unknown>;

export interface LocalStripeOptions {
  /** Where webhooks go (the app's /api/stripe/webhook); settable later. */
  webhookUrl?: string;
  /** Order of the events "Pay" sends (default: charge, payment intent, then the session). */
  payEventOrder?: ("charge.succeeded" | "payment_intent.succeeded" | "checkout.session.completed")[];
}

export interface Delivery {
  eventId: string;
  type: string;
  status: number;
  body: string;
}

const now = () => Math.floor(Date.now() / 1000);
const id = (prefix: string) => `${prefix}_test_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
const MAX_LOG = 1_000;

/** `a[b][0][c]=v&…` (the SDK's encoding, qs-style) into nested objects and arrays. */
export function parseStripeForm(body: string): Obj {
  const root: Obj = {};
  const params = new URLSearchParams(body);
  let n = 0;
  for (const [rawKey, value] of params) {
    if (++n > 500) throw new Error("too many parameters");
    const parts = rawKey.replace(/\]/g, "").split("[");
    let node: Obj = root;
    for (let i = 0; i < parts.length; i++) {
      const k = parts[i] as string;
      if (i === parts.length - 1) node[k] = value;
      else {
        if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
        node = node[k] as Obj;
      }
    }
  }
  // Objects whose keys are 0..n-1 were arrays.
  const fix = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    const o = v as Obj;
    const keys = Object.keys(o);
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => fix(o[k]));
    for (const k of keys) o[k] = fix(o[k]);
    return o;
  };
  return fix(root) as Obj;
}

function stripeError(res: ServerResponse, status: number, error: Obj, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "request-id": id("req"), ...headers });
  res.end(JSON.stringify({ error }));
}

function send(res: ServerResponse, status: number, body: Obj, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "request-id": id("req"), ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startLocalStripe(opts: LocalStripeOptions = {}) {
  const secretKey = `sk_test_${randomBytes(18).toString("hex")}`;
  const webhookSecret = `whsec_${randomBytes(24).toString("base64url").replace(/[-_]/g, "x")}`;
  let webhookUrl = opts.webhookUrl ?? null;
  const payEventOrder = opts.payEventOrder ?? ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"];

  const customers = new Map<string, Obj>();
  const sessions = new Map<string, Obj>();
  const paymentIntents = new Map<string, Obj>();
  const charges = new Map<string, Obj>();
  const disputes = new Map<string, Obj>();
  const idempotent = new Map<string, { hash: string; status: number; body: Obj }>();
  const requests: { method: string; path: string; idempotencyKey: string | null; replayed: boolean }[] = [];
  const deliveries: Delivery[] = [];
  /** The next off-session charge is declined with this Stripe decline code. */
  let declineNext: string | null = null;

  let base = "";

  function customerObject(params: Obj): Obj {
    return {
      id: id("cus"),
      object: "customer",
      address: null,
      balance: 0,
      created: now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      email: (params.email as string) ?? null,
      invoice_prefix: randomBytes(4).toString("hex").toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: (params.metadata as Obj) ?? {},
      name: (params.name as string) ?? null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: "none",
      test_clock: null,
    };
  }

  function sessionObject(params: Obj): Obj {
    const sid = `cs_test_${randomBytes(24).toString("base64url").replace(/[-_]/g, "x")}`;
    const items = (params.line_items as Obj[] | undefined) ?? [];
    const total = items.reduce(
      (sum, li) => sum + Number((li.price_data as Obj | undefined)?.unit_amount ?? 0) * Number(li.quantity ?? 1),
      0,
    );
    const currency = String((items[0]?.price_data as Obj | undefined)?.currency ?? "usd");
    return {
      id: sid,
      object: "checkout.session",
      adaptive_pricing: { enabled: false },
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: total,
      amount_total: total,
      automatic_tax: { enabled: false, liability: null, provider: null, status: null },
      billing_address_collection: null,
      cancel_url: (params.cancel_url as string) ?? null,
      client_reference_id: (params.client_reference_id as string) ?? null,
      client_secret: null,
      collected_information: null,
      consent: null,
      consent_collection: null,
      created: now(),
      currency,
      currency_conversion: null,
      custom_fields: [],
      custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
      customer: (params.customer as string) ?? null,
      customer_account: null,
      customer_creation: params.customer ? null : "if_required",
      customer_details: null,
      customer_email: null,
      discounts: [],
      expires_at: now() + 24 * 3600,
      integration_identifier: null,
      invoice: null,
      invoice_creation: {
        enabled: false,
        invoice_data: {
          account_tax_ids: null,
          custom_fields: null,
          description: null,
          footer: null,
          issuer: null,
          metadata: {},
          rendering_options: null,
        },
      },
      livemode: false,
      locale: null,
      managed_payments: null,
      metadata: (params.metadata as Obj) ?? {},
      mode: params.mode ?? "payment",
      origin_context: null,
      payment_intent: null,
      payment_link: null,
      payment_method_collection: null,
      payment_method_configuration_details: null,
      payment_method_options: {},
      payment_method_types: ["card"],
      payment_status: "unpaid",
      permissions: null,
      recovered_from: null,
      saved_payment_method_options: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: "open",
      submit_type: null,
      subscription: null,
      success_url: (params.success_url as string) ?? null,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: "hosted",
      url: `${base}/pay/${sid}`,
      wallet_options: null,
      // Not part of Stripe's object: what the session asked of its PaymentIntent, kept here
      // (and removed from answers) so that paying makes the PaymentIntent Stripe would.
      _payment_intent_data: params.payment_intent_data ?? {},
      _line_items: items,
    };
  }

  const publicSession = (s: Obj): Obj => {
    const { _payment_intent_data, _line_items, ...rest } = s;
    return rest;
  };

  function paymentIntentObject(p: {
    amount: number;
    currency: string;
    customer: string | null;
    paymentMethod: string;
    metadata: Obj;
    setupFutureUsage: string | null;
    description?: string | null;
  }): Obj {
    const piId = `pi_test_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
    return {
      id: piId,
      object: "payment_intent",
      amount: p.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: "automatic",
      client_secret: `${piId}_secret_${randomBytes(12).toString("hex")}`,
      confirmation_method: "automatic",
      created: now(),
      currency: p.currency,
      customer: p.customer,
      customer_account: null,
      description: p.description ?? null,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: p.metadata,
      next_action: null,
      on_behalf_of: null,
      payment_method: p.paymentMethod,
      payment_method_configuration_details: null,
      payment_method_options: { card: { request_three_d_secure: "automatic" } },
      payment_method_types: ["card"],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: p.setupFutureUsage,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: "requires_confirmation",
      transfer_data: null,
      transfer_group: null,
    };
  }

  function chargeObject(pi: Obj): Obj {
    const chId = `ch_test_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
    return {
      id: chId,
      object: "charge",
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: id("txn"),
      billing_details: { address: null, email: null, name: "Jenny Rosen", phone: null, tax_id: null },
      calculated_statement_descriptor: "PROOFGRID",
      captured: true,
      created: now(),
      currency: pi.currency,
      customer: pi.customer,
      description: pi.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      fraud_details: {},
      livemode: false,
      metadata: {},
      on_behalf_of: null,
      outcome: {
        network_status: "approved_by_network",
        reason: null,
        risk_level: "normal",
        seller_message: "Payment complete.",
        type: "authorized",
      },
      paid: true,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      payment_method_details: {
        card: {
          brand: "visa",
          country: "US",
          exp_month: 12,
          exp_year: 2034,
          fingerprint: "Xt5EWLLDS7FJjR1c",
          funding: "credit",
          last4: "4242",
          network: "visa",
          three_d_secure: null,
          wallet: null,
        },
        type: "card",
      },
      receipt_email: null,
      receipt_number: null,
      receipt_url: `${base}/receipts/${chId}`,
      refunded: false,
      refunds: { object: "list", data: [], has_more: false, url: `/v1/charges/${chId}/refunds` },
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: "succeeded",
      transfer_data: null,
      transfer_group: null,
    };
  }

  /** A Stripe event (snapshot payload) about `object`. */
  function event(type: string, object: Obj, extra: { idempotencyKey?: string | null } = {}): Stripe.Event {
    return {
      id: `evt_test_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`,
      object: "event",
      api_version: Stripe.API_VERSION,
      created: now(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: id("req"), idempotency_key: extra.idempotencyKey ?? null },
      type,
    } as unknown as Stripe.Event;
  }

  /** The Stripe-Signature header for `payload` (real signing; a timestamp or secret may be forced). */
  function sign(payload: string, o: { timestamp?: number; secret?: string } = {}): string {
    return Stripe.webhooks.generateTestHeaderString({ payload, secret: o.secret ?? webhookSecret, timestamp: o.timestamp });
  }

  /** POSTs the event to the app, signed, as Stripe would; returns the app's answer. */
  async function deliver(
    e: Stripe.Event | string,
    o: { timestamp?: number; secret?: string; header?: string; body?: string } = {},
  ): Promise<Delivery> {
    if (!webhookUrl) throw new Error("local stripe: no webhook URL set");
    const payload = typeof e === "string" ? e : JSON.stringify(e, null, 2);
    const res = await fetch(webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "stripe-signature": o.header ?? sign(payload, o),
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      },
      body: o.body ?? payload,
    });
    const parsed = typeof e === "string" ? (JSON.parse(e) as { id: string; type: string }) : e;
    const d = { eventId: parsed.id, type: parsed.type, status: res.status, body: await res.text() };
    deliveries.push(d);
    if (deliveries.length > MAX_LOG) deliveries.shift();
    return d;
  }

  /** What "Pay" on the Checkout page does: the PaymentIntent and charge, the paid session, and the three events (not sent). */
  function pay(sessionId: string): Stripe.Event[] {
    const s = sessions.get(sessionId);
    if (!s) throw new Error(`no session ${sessionId}`);
    if (s.status !== "open") throw new Error(`session ${sessionId} is ${s.status}`);
    const pid = (s._payment_intent_data ?? {}) as Obj;
    const pi = paymentIntentObject({
      amount: Number(s.amount_total),
      currency: String(s.currency),
      customer: (s.customer as string) ?? null,
      paymentMethod: id("pm"),
      metadata: (pid.metadata as Obj) ?? {},
      setupFutureUsage: (pid.setup_future_usage as string) ?? null,
    });
    const ch = chargeObject(pi);
    Object.assign(pi, { status: "succeeded", amount_received: pi.amount, latest_charge: ch.id });
    paymentIntents.set(pi.id as string, pi);
    charges.set(ch.id as string, ch);
    Object.assign(s, {
      status: "complete",
      payment_status: "paid",
      payment_intent: pi.id,
      customer_details: {
        address: null,
        email: "buyer@example.com",
        name: "Jenny Rosen",
        phone: null,
        tax_exempt: "none",
        tax_ids: [],
        business_name: null,
        individual_name: null,
      },
    });
    const byType = {
      "charge.succeeded": () => event("charge.succeeded", ch),
      "payment_intent.succeeded": () => event("payment_intent.succeeded", pi),
      "checkout.session.completed": () => event("checkout.session.completed", publicSession(s)),
    };
    return payEventOrder.map((t) => byType[t]());
  }

  /** Refunds `amount` (default: what is left) of a charge: the charge.refunded event. */
  function refund(chargeId: string, amount?: number): Stripe.Event {
    const ch = charges.get(chargeId);
    if (!ch) throw new Error(`no charge ${chargeId}`);
    const left = Number(ch.amount) - Number(ch.amount_refunded);
    const a = amount ?? left;
    const re = {
      id: id("re"),
      object: "refund",
      amount: a,
      charge: chargeId,
      created: now(),
      currency: ch.currency,
      payment_intent: ch.payment_intent,
      reason: "requested_by_customer",
      status: "succeeded",
      metadata: {},
    };
    const refunds = ch.refunds as { data: Obj[] };
    refunds.data.unshift(re);
    Object.assign(ch, { amount_refunded: Number(ch.amount_refunded) + a, refunded: Number(ch.amount_refunded) + a >= Number(ch.amount) });
    return event("charge.refunded", ch);
  }

  /** Opens a dispute on a charge: the charge.dispute.created event. */
  function dispute(chargeId: string, amount?: number): Stripe.Event {
    const ch = charges.get(chargeId);
    if (!ch) throw new Error(`no charge ${chargeId}`);
    const dp = {
      id: id("dp"),
      object: "dispute",
      amount: amount ?? ch.amount,
      balance_transactions: [],
      charge: chargeId,
      created: now(),
      currency: ch.currency,
      evidence_details: { due_by: now() + 7 * 86400, has_evidence: false, past_due: false, submission_count: 0 },
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: ch.payment_intent,
      reason: "fraudulent",
      status: "needs_response",
    };
    disputes.set(dp.id, dp);
    ch.disputed = true;
    return event("charge.dispute.created", dp);
  }

  function closeDispute(disputeId: string, status: "won" | "lost"): Stripe.Event {
    const dp = disputes.get(disputeId);
    if (!dp) throw new Error(`no dispute ${disputeId}`);
    dp.status = status;
    return event("charge.dispute.closed", dp);
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const auth = req.headers.authorization ?? "";
    if (auth !== `Bearer ${secretKey}`) {
      return stripeError(res, 401, { type: "invalid_request_error", message: `Invalid API Key provided: ${auth.slice(7, 15)}***` });
    }
    const raw = req.method === "POST" ? await readBody(req) : "";
    const params = parseStripeForm(raw || (req.url?.split("?")[1] ?? ""));
    const key = req.method === "POST" ? ((req.headers["idempotency-key"] as string | undefined) ?? null) : null;
    if (key) {
      const hash = createHash("sha256").update(`${req.method} ${path} ${raw}`).digest("hex");
      const seen = idempotent.get(key);
      if (seen) {
        requests.push({ method: req.method ?? "", path, idempotencyKey: key, replayed: true });
        if (seen.hash !== hash) {
          return stripeError(res, 400, {
            type: "idempotency_error",
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          });
        }
        return send(res, seen.status, seen.body, { "idempotent-replayed": "true", "idempotency-key": key });
      }
    }
    requests.push({ method: req.method ?? "", path, idempotencyKey: key, replayed: false });
    if (requests.length > MAX_LOG) requests.shift();
    const answer = (status: number, body: Obj, after?: () => void) => {
      if (key) idempotent.set(key, { hash: createHash("sha256").update(`${req.method} ${path} ${raw}`).digest("hex"), status, body });
      send(res, status, body, key ? { "idempotency-key": key } : {});
      after?.();
    };
    const sessionPath = path.match(/^\/v1\/checkout\/sessions\/([A-Za-z0-9_]+)$/);
    const intentPath = path.match(/^\/v1\/payment_intents\/([A-Za-z0-9_]+)$/);
    if (req.method === "POST" && path === "/v1/customers") {
      const c = customerObject(params);
      customers.set(c.id as string, c);
      return answer(200, c);
    }
    if (req.method === "POST" && path === "/v1/checkout/sessions") {
      if (params.mode !== "payment")
        return answer(400, { error: { type: "invalid_request_error", param: "mode", message: "This stand-in only knows payment mode." } });
      const s = sessionObject(params);
      sessions.set(s.id as string, s);
      return answer(200, publicSession(s));
    }
    if (req.method === "GET" && sessionPath) {
      const s = sessions.get(sessionPath[1] as string);
      if (!s)
        return stripeError(res, 404, {
          type: "invalid_request_error",
          code: "resource_missing",
          param: "session",
          message: `No such checkout.session: '${sessionPath[1]}'`,
        });
      return send(res, 200, publicSession(s));
    }
    if (req.method === "GET" && intentPath) {
      const pi = paymentIntents.get(intentPath[1] as string);
      if (!pi)
        return stripeError(res, 404, {
          type: "invalid_request_error",
          code: "resource_missing",
          param: "intent",
          message: `No such payment_intent: '${intentPath[1]}'`,
        });
      return send(res, 200, pi);
    }
    if (req.method === "POST" && path === "/v1/payment_intents") {
      const pi = paymentIntentObject({
        amount: Number(params.amount),
        currency: String(params.currency),
        customer: (params.customer as string) ?? null,
        paymentMethod: String(params.payment_method),
        metadata: (params.metadata as Obj) ?? {},
        setupFutureUsage: null,
        description: (params.description as string) ?? null,
      });
      paymentIntents.set(pi.id as string, pi);
      if (params.confirm !== "true") return answer(200, pi);
      if (declineNext) {
        const code = declineNext;
        declineNext = null;
        Object.assign(pi, {
          status: "requires_payment_method",
          last_payment_error: { type: "card_error", code: "card_declined", decline_code: code, message: "Your card was declined." },
        });
        const err = {
          type: "card_error",
          code: "card_declined",
          decline_code: code,
          message: "Your card was declined.",
          payment_intent: structuredClone(pi),
        };
        idempotent.set(key ?? id("k"), {
          hash: createHash("sha256").update(`${req.method} ${path} ${raw}`).digest("hex"),
          status: 402,
          body: { error: err },
        });
        stripeError(res, 402, err);
        const failed = event("payment_intent.payment_failed", pi);
        void (webhookUrl ? deliver(failed).catch(() => undefined) : undefined);
        return;
      }
      const ch = chargeObject(pi);
      Object.assign(pi, { status: "succeeded", amount_received: pi.amount, latest_charge: ch.id });
      charges.set(ch.id as string, ch);
      return answer(200, pi, () => {
        // Stripe sends these after answering; they find the purchase already credited.
        if (webhookUrl) {
          const evs = [event("charge.succeeded", ch), event("payment_intent.succeeded", pi, { idempotencyKey: key })];
          void (async () => {
            for (const e of evs) await deliver(e).catch(() => undefined);
          })();
        }
      });
    }
    return stripeError(res, 404, { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${path}).` });
  }

  async function checkoutPage(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    const s = sessions.get(sessionId);
    if (!s) {
      res.writeHead(404, { "content-type": "text/html" });
      return void res.end("<!doctype html><title>Not found</title><h1>This checkout session does not exist</h1>");
    }
    if (req.method === "POST") {
      await readBody(req);
      if (s.status === "open") {
        const events = pay(sessionId);
        for (const e of events)
          await deliver(e).catch((err) => deliveries.push({ eventId: e.id, type: e.type, status: 0, body: String(err) }));
      }
      res.writeHead(303, { location: String(s.success_url).replace("{CHECKOUT_SESSION_ID}", sessionId) });
      return void res.end();
    }
    const item = ((s._line_items as Obj[])[0]?.price_data as Obj | undefined)?.product_data as Obj | undefined;
    const amount = new Intl.NumberFormat("en-US", { style: "currency", currency: String(s.currency) }).format(Number(s.amount_total) / 100);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout (local Stripe stand-in)</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}main{border:1px solid #e3e8ee;border-radius:8px;padding:1.5rem}
button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.75rem 1.5rem;font-size:1rem;width:100%;cursor:pointer}a{color:#4f46e5}p.note{color:#4f566b;font-size:.875rem}</style></head>
<body><main><h1>Pay Proofgrid</h1><p>${escapeHtml(String(item?.name ?? "Tokens"))}</p><p><strong data-amount>${escapeHtml(amount)}</strong></p>
<p class="note">Test card 4242 4242 4242 4242 (the local stand-in for Stripe Checkout).</p>
<form method="post"><button type="submit">Pay</button></form>
<p><a href="${escapeHtml(String(s.cancel_url))}">Cancel and return</a></p></main></body></html>`);
  }

  function receiptPage(res: ServerResponse, chargeId: string): void {
    const ch = charges.get(chargeId);
    if (!ch) {
      res.writeHead(404, { "content-type": "text/html" });
      return void res.end("<!doctype html><title>Not found</title><h1>No such receipt</h1>");
    }
    const amount = new Intl.NumberFormat("en-US", { style: "currency", currency: String(ch.currency) }).format(Number(ch.amount) / 100);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Receipt</title></head><body><main><h1>Receipt from Proofgrid</h1>
<p>Amount paid: <strong data-receipt-amount>${escapeHtml(amount)}</strong></p><p>Refunded: ${Number(ch.amount_refunded)}</p><p>Charge ${escapeHtml(chargeId)}</p></main></body></html>`);
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const run = async () => {
      if (path.startsWith("/v1/")) return api(req, res, path);
      const payPath = path.match(/^\/pay\/(cs_[A-Za-z0-9_]+)$/);
      if (payPath) return checkoutPage(req, res, payPath[1] as string);
      const receiptPath = path.match(/^\/receipts\/(ch_[A-Za-z0-9_]+)$/);
      if (receiptPath) return receiptPage(res, receiptPath[1] as string);
      res.writeHead(404).end();
    };
    run().catch((err) => {
      if (!res.headersSent) stripeError(res, 500, { type: "api_error", message: String(err) });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    secretKey,
    webhookSecret,
    /** The app's environment for this server. */
    env: { STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_API_BASE: base },
    setWebhookUrl(url: string | null) {
      webhookUrl = url;
    },
    declineNextCharge(code = "insufficient_funds") {
      declineNext = code;
    },
    customers,
    sessions,
    paymentIntents,
    charges,
    disputes,
    requests,
    deliveries,
    event,
    sign,
    deliver,
    pay,
    refund,
    dispute,
    closeDispute,
    /** The charge a paid session made. */
    chargeOf(sessionId: string): string {
      const pi = paymentIntents.get(String(sessions.get(sessionId)?.payment_intent));
      return String(pi?.latest_charge);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type LocalStripe = Awaited<ReturnType<typeof startLocalStripe>>;
