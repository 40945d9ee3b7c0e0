// Every public REST route (/api/v1/*, and the OpenAI-compatible /v1/*) as OpenAPI operations: each request part is the zod
// schema the route itself validates with (imported from the route's service or its sibling
// schemas.ts), each response the schema in ./schemas that the contract test holds every
// replayed response to. A route added without an entry here fails that test.
import { OpenAPIRegistry, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { ZWait } from "~/app/api/v1/jobs/[id]/schemas";
import { ZQuery as ZProviderRecordsQuery } from "~/app/api/v1/network/providers/schemas";
import { ZLimit as ZRecentLimit } from "~/app/api/v1/network/recent/schemas";
import { ZNodeId } from "~/app/api/v1/public-keys/schemas";
import { ZLimit as ZEmissionsLimit } from "~/app/api/v1/rewards/emissions/schemas";
import { ZLimit as ZEpochsLimit } from "~/app/api/v1/verification/epochs/schemas";
import { ZUpdateWebhookEndpointBody } from "~/app/api/v1/webhooks/endpoints/[id]/schemas";
import { ZListWebhookDeliveriesQuery } from "~/app/api/v1/webhooks/endpoints/[id]/deliveries/schemas";
import { ZRotateWebhookSecretBody } from "~/app/api/v1/webhooks/endpoints/[id]/rotate-secret/schemas";
import { ZCreateWebhookEndpointBody } from "~/app/api/v1/webhooks/endpoints/schemas";
import { ZEmbeddingsRequest } from "../services/openai/create-embeddings.ts";
import { ZCreateCheckoutRequest } from "../services/billing/create-checkout.ts";
import { ZListJobsRequest } from "../services/jobs/list-jobs.ts";
import { ZSubmitBatchRequest } from "../services/jobs/submit-batch.ts";
import { ZSubmitJobRequest } from "../services/jobs/submit-job.ts";
import { ZMarketQuery } from "../services/market/market.ts";
import { ZRegisterModelQuery, ZRegisterModelRequest } from "../services/models/register-model.ts";
import { ZUpdateModelRequest } from "../services/models/update-model.ts";
import { ZQuoteRequest } from "../services/market/quote.ts";
import { ZCreateRegistrationTokenRequest } from "../services/nodes/create-registration-token.ts";
import { ZUpdateWorkerRequest } from "../services/providers/update-worker.ts";
import { ZBookReservationRequest } from "../services/reservations/book-reservation.ts";
import { ZListReservationsRequest } from "../services/reservations/list-reservations.ts";
import { ZStakeNodeRequest, ZStakeRequest } from "../services/verification/stake-request.ts";
import { ZBalance, ZBillingHistory, ZCheckout } from "./schemas/billing.ts";
import { ZBaseUnits, ZErrorBody, ZUuid } from "./schemas/common.ts";
import { ZSubmittedBatch } from "./schemas/job-batches.ts";
import { ZJob, ZJobList, ZJobVerification, ZSubmittedJob } from "./schemas/jobs.ts";
import { ZJobQuote, ZMarket, ZModel, ZModelList, ZRegions } from "./schemas/market.ts";
import { ZDeletedModel, ZUploadCreated } from "./schemas/models.ts";
import { ZLiveNetwork, ZProviderRecords, ZPublicKeys, ZRecentActivity, ZVerificationEpochs } from "./schemas/network.ts";
import {
  ZCapabilityEvidence,
  ZNodeDiagnostics,
  ZNodeStake,
  ZRegistrationToken,
  ZRemovedNode,
  ZStakeResult,
  ZUnbondResult,
  ZUpdatedNode,
} from "./schemas/nodes.ts";
import {
  ZPayoutAddress,
  ZPayoutAddressChallenge,
  ZPayoutAddressChallengeBody,
  ZVerifiedPayoutAddress,
  ZVerifyPayoutAddressBody,
  ZWithdrawal,
  ZWithdrawalBody,
  ZWithdrawalList,
  ZWithdrawalQuote,
} from "./schemas/payouts.ts";
import { ZOpenAiEmbeddings, ZOpenAiError, ZOpenAiModelList } from "./schemas/openai.ts";
import { ZReservation, ZReservationList } from "./schemas/reservations.ts";
import { ZClaimRewardsBody, ZEmissions, ZRewardClaim, ZRewards } from "./schemas/rewards.ts";
import {
  ZDeletedWebhookEndpoint,
  ZWebhookDeliveryList,
  ZWebhookEndpoint,
  ZWebhookEndpointList,
  ZWebhookEndpointWithSecret,
  ZWebhookTestEvent,
} from "./schemas/webhooks.ts";

export const API_KEY_SCHEME = "apiKey";
export const SESSION_SCHEME = "session";

/** How each operation is reached: an API key with a scope, no key at all, or a key or the dashboard's session. */
type Access = { scope: string } | "public" | { scope: string; orSession: true };

type Method = "get" | "post" | "patch" | "delete";

interface Operation {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  request?: RouteConfig["request"];
  /** Success statuses and their body schemas; `schema: null`: no body (a tus 204). */
  ok: Record<number, { description: string; schema: z.ZodType | null; contentType?: string }>;
  /** The failures the operation itself answers, besides those every operation of its kind can. */
  errors: number[];
  /** The failures' body: the platform's `Error` unless the route speaks another protocol's. */
  errorSchema?: z.ZodType;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request: `error.details` lists each field's problem.",
  401: "Missing, malformed, revoked or expired API key.",
  402: "Insufficient credits, outstanding debt or a spend cap reached.",
  403: "The key lacks the operation's scope.",
  404: "Not found, or not the caller's organisation's.",
  405: "Method not allowed: `Allow` names the route's methods.",
  409: "Conflicts with the current state (the message says which).",
  410: "Gone: the upload expired (24 hours after it was created); start a new one.",
  412: "tus: the `Tus-Resumable: 1.0.0` header is missing, or names another version.",
  413: "The body is larger than the route accepts.",
  422: "Well-formed but refused: an idempotency key reused with another body, or an uploaded model its checks refused (the message says why).",
  429: "Rate limited: retry after `Retry-After` seconds.",
  500: "Internal error (logged with the request id).",
  503: "Unavailable (the database, or a payment or chain service not configured); retry later.",
};

const idParam = (what: string) => z.object({ id: ZUuid.describe(`The ${what}'s id.`) });
/** A JSON request body: the route's own schema, and an example for the reference's curl. */
const jsonBody = (schema: z.ZodType, example: Record<string, unknown>) => ({
  required: true,
  content: { "application/json": { schema, example } },
});
const idempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("Retry-safe creation: the same key and body answer the first response again; another body under it is a 422."),
});

/** What a webhook receiver gets (services/webhooks/*.ts), told once on registration and on the test event. */
const WEBHOOK_DELIVERY_TEXT = [
  "**Events:** `job.succeeded`, `job.failed`, `job.refunded` (`data.job`: the job as GET /api/v1/jobs/{id} shows it, without output, with `receiptUrl`), `credits.low` (`data`: `organizationId`, `alertId`, `available`, `threshold` in base units), and `webhook.test` (sent only by the test operation). Each body is `{ type, timestamp, data }`; an event is written in the same transaction as what it reports.",
  "**Signing (Standard Webhooks):** each POST carries `webhook-id` (the event's id, the same on every retry: deduplicate on it), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` with the secret; during a rotation one signature per secret, space-separated). Verify with any Standard Webhooks library.",
  "**Delivery:** at least once. A 2xx within the timeout (10 s by default) is delivered; no redirect is followed, and the address must be public. Anything else is retried after 5 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h and 12 h (9 attempts, about 22 h), then the delivery is failed. The log is kept 30 days.",
].join("\n\n");

/** The submit as a form (http/read-submission.ts): the same fields as text parts, the input as a file or as JSON. */
const ZSubmitJobForm = z.object({
  model: z.string().describe("The model's slug or sha256 id."),
  file: z
    .string()
    .meta({ format: "binary" })
    .optional()
    .describe("The input as a file: an image (→ `{image}`), a WAV (→ `{audio}`) or UTF-8 text (→ `{text}`), told by its first bytes."),
  input: z.string().optional().describe("The input as JSON text, instead of `file`."),
  region: z.string().optional(),
  maxPricePerCu: z.string().optional(),
  idempotencyKey: z.string().optional(),
});

const OPERATIONS: Operation[] = [
  // ---- Jobs
  {
    method: "post",
    path: "/api/v1/jobs",
    tag: "Jobs",
    summary: "Submit a job",
    description:
      "Places a job on a worker (edge placement) and holds its price. A retry with the same idempotency key and body answers the same job; another body under that key is a 422. With `?wait=<ms>` or `Prefer: wait=<s>` the answer waits for the job to finish and carries its output: one request instead of a submit and a `GET ?wait=`.",
    access: { scope: "jobs:write" },
    request: {
      headers: idempotencyHeader.extend({
        prefer: z
          .string()
          .max(1_000)
          .optional()
          .describe(
            "`wait=<seconds>` (RFC 7240; at most 60): answer when the job has finished, or when the time is up, with the job as it then stands. `Preference-Applied` says the wait used.",
          ),
      }),
      query: z.object({
        wait: ZWait.optional().describe(
          "Milliseconds to hold the answer for the job to finish (a synchronous submit); wins over `Prefer: wait`.",
        ),
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: ZSubmitJobRequest,
            example: { model: "encoder-synthetic-minilm", input: { text: "Proofgrid verifies every result." }, region: "eu-central" },
          },
          "multipart/form-data": { schema: ZSubmitJobForm },
        },
      },
    },
    ok: {
      201: {
        description:
          "The job, created (finished, with its output, when a wait was asked and it ended in time); or, for a retry with the same key and body, the first answer again.",
        schema: ZSubmittedJob,
      },
    },
    errors: [400, 402, 404, 413, 422],
  },
  {
    method: "post",
    path: "/api/v1/jobs/batch",
    tag: "Jobs",
    summary: "Submit a batch of jobs",
    description:
      "Up to `JOB_BATCH_MAX_ITEMS` jobs (100 by default) in one JSON request of at most `MAX_JOB_BODY_BYTES`, each item a submit's fields, created in one transaction with one hold for the total; each job then settles, fails or is canceled on its own, for its own price. A bad item refuses the whole batch (the message names it: `jobs[7]: …`; 413 for an input too large or a batch too long) and nothing is created or held. A retry with the same idempotency key and body answers the same jobs; another body under that key is a 422.",
    access: { scope: "jobs:write" },
    request: {
      headers: idempotencyHeader,
      body: jsonBody(ZSubmitBatchRequest, {
        jobs: [
          { model: "encoder-synthetic-minilm", input: { text: "Proofgrid verifies every result." } },
          { model: "encoder-synthetic-minilm", input: { texts: ["one", "two"] }, region: "eu-central" },
        ],
      }),
    },
    ok: {
      201: {
        description: "The jobs, created, in the request's order; or, for a retry with the same key and body, the first answer again.",
        schema: ZSubmittedBatch,
      },
    },
    errors: [400, 402, 413, 422],
  },
  {
    method: "get",
    path: "/api/v1/jobs",
    tag: "Jobs",
    summary: "List jobs",
    description: "The organisation's jobs, newest first, with keyset pagination (`nextCursor`).",
    access: { scope: "jobs:read" },
    request: { query: ZListJobsRequest },
    ok: { 200: { description: "A page of jobs.", schema: ZJobList } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/jobs/{id}",
    tag: "Jobs",
    summary: "Get a job",
    description: "`?wait=<ms>` (at most 60 000) holds the request until the job finishes or the time is up.",
    access: { scope: "jobs:read" },
    request: { params: idParam("job"), query: z.object({ wait: ZWait.optional() }) },
    ok: { 200: { description: "The job, with its output once it succeeded.", schema: ZJob } },
    errors: [400, 404],
  },
  {
    method: "delete",
    path: "/api/v1/jobs/{id}",
    tag: "Jobs",
    summary: "Cancel a job",
    description: "Cancels a job that has not finished and releases its hold; a finished job is answered as it is.",
    access: { scope: "jobs:write" },
    request: { params: idParam("job") },
    ok: { 200: { description: "The job after the cancel.", schema: ZJob } },
    errors: [404, 409],
  },
  {
    method: "get",
    path: "/api/v1/jobs/{id}/verification",
    tag: "Jobs",
    summary: "A job's verification",
    description: "Its verification status, its receipt and the checks run on it.",
    access: { scope: "jobs:read" },
    request: { params: idParam("job") },
    ok: { 200: { description: "The verification.", schema: ZJobVerification } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/jobs/{id}/rerun",
    tag: "Jobs",
    summary: "Re-run a refunded job",
    description: "The free re-run of a job whose result was proven wrong (and refunded), on another worker.",
    access: { scope: "jobs:write" },
    request: { params: idParam("job") },
    ok: { 201: { description: "The re-run job.", schema: ZJob } },
    errors: [404, 409],
  },
  {
    method: "post",
    path: "/api/v1/quote",
    tag: "Jobs",
    summary: "Quote a job",
    description:
      "Where a job would run now and at what price, for a submit's body; with `input` the hold and price are that input's. Changes nothing.",
    access: { scope: "jobs:write" },
    request: { body: jsonBody(ZQuoteRequest, { model: "encoder-synthetic-minilm", input: { text: "How much would this cost?" } }) },
    ok: { 200: { description: "The quote.", schema: ZJobQuote } },
    errors: [400, 404, 413],
  },
  {
    method: "get",
    path: "/api/v1/usage.csv",
    tag: "Jobs",
    summary: "Usage as CSV",
    description:
      "The organisation's finished jobs as CSV: `?from=&to=` (dates or ISO times, at most 93 days; default the last 30 days). The dashboard's download link uses the session cookie with `?org=`.",
    access: { scope: "jobs:read", orSession: true },
    request: {
      query: z.object({
        from: z.string().max(40).optional().describe("A date or ISO time; default 30 days before `to`."),
        to: z.string().max(40).optional().describe("A date or ISO time; default now."),
        org: ZUuid.optional().describe("With the session cookie: the organisation to export."),
      }),
    },
    ok: { 200: { description: "One row per finished job.", schema: z.string(), contentType: "text/csv" } },
    errors: [400, 404],
  },
  // ---- Models and market
  {
    method: "get",
    path: "/api/v1/models",
    tag: "Models",
    summary: "List models",
    description: "The built-in catalog, your organisation's uploaded models (private and public), and other organisations' public ones.",
    access: { scope: "models:read" },
    ok: { 200: { description: "The catalog.", schema: ZModelList } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/models",
    tag: "Models",
    summary: "Register an uploaded model",
    description:
      "Registers a finished resumable upload (`uploadId`, from POST /api/v1/models/uploads) as a model: the file is checked (ONNX, no external data, standard operators, opsets 7–21, at most 5 000 nodes, bounded input shapes), run twice on zero inputs in a sandbox with memory and time limits, and stored under the sha256 of its bytes, which is the model's id. A file of at most 8 MiB may instead be the body (`Content-Type: application/octet-stream`) with the options in the query (`name`, `visibility`, `dimBounds` as JSON). 201 with the model; 200 when your organisation already has these bytes; 422 with the reason when a check refuses it (nothing is stored, the upload is removed). The same bytes from another organisation are the same model id, owned by each under its own name and visibility.",
    access: { scope: "models:write" },
    request: {
      query: ZRegisterModelQuery.partial(),
      body: jsonBody(ZRegisterModelRequest, { uploadId: "3f5a0c2b9d8e4f6a1b7c0d2e3f4a5b6c", name: "my-classifier", visibility: "private" }),
    },
    ok: {
      200: { description: "Your organisation already had these bytes: its model.", schema: ZModel },
      201: { description: "The model, registered.", schema: ZModel },
    },
    errors: [400, 404, 409, 413, 422],
  },
  {
    method: "get",
    path: "/api/v1/models/{id}",
    tag: "Models",
    summary: "Get a model",
    description: "A model by its id (sha256) or slug: a built-in one, one of your organisation's uploads, or a public one.",
    access: { scope: "models:read" },
    request: { params: z.object({ id: z.string().min(1).max(200).describe("The model's id (sha256) or slug.") }) },
    ok: { 200: { description: "The model.", schema: ZModel } },
    errors: [404],
  },
  {
    method: "patch",
    path: "/api/v1/models/{id}",
    tag: "Models",
    summary: "Change an uploaded model",
    description:
      "Your organisation changes its listing of an uploaded model: its name, its visibility, or the royalty (base units per job) paid to you for each job another organisation runs on it while it is public. Jobs already submitted keep the royalty they were held with; a customer may cap what it accepts with `maxRoyalty` on submit. Another organisation's listing of the same bytes is its own.",
    access: { scope: "models:write" },
    request: {
      params: z.object({ id: z.string().min(1).max(200).describe("The model's id (sha256).") }),
      body: jsonBody(ZUpdateModelRequest, { visibility: "public", royalty: "2000" }),
    },
    ok: { 200: { description: "The model as it now is.", schema: ZModel } },
    errors: [400, 404],
  },
  {
    method: "delete",
    path: "/api/v1/models/{id}",
    tag: "Models",
    summary: "Delete an uploaded model",
    description:
      "Your organisation gives up its uploaded model: it leaves your list, and everyone's if you had made it public. Its file and id stay for the jobs and receipts that name it, and for other organisations that uploaded the same bytes.",
    access: { scope: "models:write" },
    request: { params: z.object({ id: z.string().min(1).max(200).describe("The model's id (sha256).") }) },
    ok: { 200: { description: "Deleted.", schema: ZDeletedModel } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/models/uploads",
    tag: "Models",
    summary: "Start a resumable model upload (tus)",
    description:
      "The tus 1.0.0 protocol (creation, termination, expiration; https://tus.io), so any tus client works: send `Tus-Resumable: 1.0.0` and `Upload-Length` (or `Upload-Defer-Length: 1`) → 201 with `Location` and the upload's id. Then PATCH the bytes to that location; after an interruption, `HEAD` it for `Upload-Offset` and resume from there. Register the finished upload with POST /api/v1/models. An upload is your organisation's only, and expires 24 hours after it was created. `OPTIONS` answers the server's tus version, extensions and `Tus-Max-Size`.",
    access: { scope: "models:write" },
    request: {
      headers: z.object({
        "tus-resumable": z.literal("1.0.0"),
        "upload-length": z.string().regex(/^\d+$/).optional().describe("The file's size in bytes."),
        "upload-defer-length": z.literal("1").optional().describe("The size is not known yet: give `Upload-Length` in a later PATCH."),
        "upload-metadata": z.string().max(1_000).optional().describe("tus metadata; `filename` is kept, the rest ignored."),
      }),
    },
    ok: { 201: { description: "Created: `Location` is where to PATCH the bytes.", schema: ZUploadCreated } },
    errors: [400, 412, 413],
  },
  {
    method: "patch",
    path: "/api/v1/models/uploads/{id}",
    tag: "Models",
    summary: "Send bytes of a model upload (tus)",
    description:
      "Appends the body at `Upload-Offset` (which must be the bytes received so far: `HEAD` the upload to learn it) → 204 with the new `Upload-Offset`. `HEAD` on the same URL answers `Upload-Offset` and `Upload-Length`.",
    access: { scope: "models:write" },
    request: {
      params: z.object({
        id: z
          .string()
          .regex(/^[0-9a-f]{32}$/)
          .describe("The upload's id."),
      }),
      headers: z.object({
        "tus-resumable": z.literal("1.0.0"),
        "upload-offset": z.string().regex(/^\d+$/).describe("Where these bytes start."),
      }),
      body: { required: true, content: { "application/offset+octet-stream": { schema: z.string().meta({ format: "binary" }) } } },
    },
    ok: { 204: { description: "Received: `Upload-Offset` is the bytes received so far.", schema: null } },
    errors: [400, 404, 409, 410, 412, 413],
  },
  {
    method: "delete",
    path: "/api/v1/models/uploads/{id}",
    tag: "Models",
    summary: "Abandon a model upload (tus)",
    description: "Removes the upload and the bytes received (tus termination).",
    access: { scope: "models:write" },
    request: {
      params: z.object({
        id: z
          .string()
          .regex(/^[0-9a-f]{32}$/)
          .describe("The upload's id."),
      }),
      headers: z.object({ "tus-resumable": z.literal("1.0.0") }),
    },
    ok: { 204: { description: "Removed.", schema: null } },
    errors: [404, 412],
  },
  {
    method: "get",
    path: "/api/v1/market",
    tag: "Market",
    summary: "Market by model and region",
    description: "Per (model, region): workers online, free slots, asks and time to result.",
    access: "public",
    request: { query: ZMarketQuery },
    ok: { 200: { description: "The market.", schema: ZMarket } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/regions",
    tag: "Market",
    summary: "List regions",
    description: "The regions edge placement knows, with online workers and free slots in each.",
    access: "public",
    ok: { 200: { description: "The regions.", schema: ZRegions } },
    errors: [],
  },
  // ---- Reservations
  {
    method: "post",
    path: "/api/v1/reservations",
    tag: "Reservations",
    summary: "Reserve workers",
    description:
      "Reserves `count` workers of at least `minCuPerHour` in a region for a window; its cost at the listed price is held. An idempotency key (body or header) is required.",
    access: { scope: "jobs:write" },
    request: {
      headers: idempotencyHeader,
      body: jsonBody(ZBookReservationRequest, {
        region: "eu-central",
        minCuPerHour: 3600,
        count: 2,
        hours: 24,
        idempotencyKey: "reserve-2026-01-31",
      }),
    },
    ok: {
      201: {
        description: "The reservation, booked; or, for a retry with the same key and body, the first answer again.",
        schema: ZReservation,
      },
      200: { description: "The reservation a concurrent request with the same key booked.", schema: ZReservation },
    },
    errors: [400, 402, 409, 413, 422],
  },
  {
    method: "get",
    path: "/api/v1/reservations",
    tag: "Reservations",
    summary: "List reservations",
    access: { scope: "jobs:read" },
    request: { query: ZListReservationsRequest },
    ok: { 200: { description: "A page of reservations, newest first.", schema: ZReservationList } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/reservations/{id}",
    tag: "Reservations",
    summary: "Get a reservation",
    description: "One reservation with its workers and its invoices.",
    access: { scope: "jobs:read" },
    request: { params: idParam("reservation") },
    ok: { 200: { description: "The reservation.", schema: ZReservation } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/reservations/{id}/release",
    tag: "Reservations",
    summary: "Release a reservation",
    description: "Bills up to now, pro rata, and returns the rest of the hold. Idempotent.",
    access: { scope: "jobs:write" },
    request: { params: idParam("reservation") },
    ok: { 200: { description: "The released reservation.", schema: ZReservation } },
    errors: [404, 409],
  },
  // ---- Billing
  {
    method: "get",
    path: "/api/v1/balance",
    tag: "Billing",
    summary: "Balance",
    access: { scope: "billing:read" },
    ok: { 200: { description: "The organisation's balances.", schema: ZBalance } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/v1/billing/history",
    tag: "Billing",
    summary: "Billing history",
    description: "The last 100 purchases, grants, refunds and disputes with their receipt links, newest first.",
    access: { scope: "billing:read" },
    ok: { 200: { description: "The history.", schema: ZBillingHistory } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/billing/checkout",
    tag: "Billing",
    summary: "Buy credits by card",
    description:
      "Creates a Stripe Checkout session; send the buyer to `url`. The same idempotency key and body answer the first purchase again (`Idempotent-Replayed: true`); another body under it is a 422.",
    access: { scope: "billing:write" },
    request: { headers: idempotencyHeader, body: jsonBody(ZCreateCheckoutRequest, { tokens: 1000 }) },
    ok: {
      201: { description: "The purchase, with its Checkout URL.", schema: ZCheckout },
      200: { description: "An earlier purchase with the same key, answered again.", schema: ZCheckout },
    },
    errors: [400, 413, 422],
  },
  // ---- Nodes (providers)
  {
    method: "post",
    path: "/api/v1/nodes/registration-tokens",
    tag: "Nodes",
    summary: "Create a registration token",
    description: "A one-time token and the commands that install and register a worker with it.",
    access: { scope: "nodes:write" },
    request: { body: jsonBody(ZCreateRegistrationTokenRequest, { role: "worker", region: "eu-central" }) },
    ok: { 201: { description: "The token and commands.", schema: ZRegistrationToken } },
    errors: [400, 413],
  },
  {
    method: "patch",
    path: "/api/v1/nodes/{id}",
    tag: "Nodes",
    summary: "Update a node",
    description: "Name, pause (drain) or ask price, all at once or not at all. Its provider only.",
    access: { scope: "nodes:write" },
    request: {
      params: idParam("node"),
      body: jsonBody(ZUpdateWorkerRequest, { name: "gpu-box-1", paused: false, askPricePerCu: "45000" }),
    },
    ok: { 200: { description: "The node after the change.", schema: ZUpdatedNode } },
    errors: [400, 404, 413],
  },
  {
    method: "delete",
    path: "/api/v1/nodes/{id}",
    tag: "Nodes",
    summary: "Retire a node",
    description: "Its key stops working and it leaves every list. 409 while it holds jobs in flight, stake or held earnings.",
    access: { scope: "nodes:write" },
    request: { params: idParam("node") },
    ok: { 200: { description: "The node, retired.", schema: ZRemovedNode } },
    errors: [404, 409],
  },
  {
    method: "get",
    path: "/api/v1/nodes/{id}/diagnostics",
    tag: "Nodes",
    summary: "Why a node gets few jobs",
    access: { scope: "nodes:read" },
    request: { params: idParam("node") },
    ok: { 200: { description: "The diagnostics.", schema: ZNodeDiagnostics } },
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/nodes/{id}/capability",
    tag: "Nodes",
    summary: "A node's capability evidence",
    description: "Each timed job, the medians and the decision behind the credited capability.",
    access: { scope: "nodes:read" },
    request: { params: idParam("node") },
    ok: { 200: { description: "The evidence.", schema: ZCapabilityEvidence } },
    errors: [404],
  },
  {
    method: "get",
    path: "/api/v1/nodes/{id}/stake",
    tag: "Nodes",
    summary: "A node's stake",
    description: "Bonded, unbonding, exposure used and limit, starter allowance, held earnings.",
    access: { scope: "nodes:read" },
    request: { params: idParam("node") },
    ok: { 200: { description: "The stake.", schema: ZNodeStake } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/nodes/{id}/stake",
    tag: "Nodes",
    summary: "Bond stake to a node",
    description: "From released earnings first, then credits (`source`). Retry-safe with an idempotency key.",
    access: { scope: "nodes:write" },
    request: {
      params: idParam("node"),
      headers: idempotencyHeader,
      body: jsonBody(ZStakeNodeRequest, { amount: "100000000", source: "any", idempotencyKey: "stake-1" }),
    },
    ok: {
      201: { description: "Bonded; or, for a retry with the same key and body, the first answer again.", schema: ZStakeResult },
      200: { description: "A concurrent request with the same key bonded first.", schema: ZStakeResult },
    },
    errors: [400, 402, 404, 409, 413, 422],
  },
  {
    method: "post",
    path: "/api/v1/nodes/{id}/unbond",
    tag: "Nodes",
    summary: "Start unbonding",
    description: "The tokens return to the provider after the unbonding period. A retry with the same key answers the stored request.",
    access: { scope: "nodes:write" },
    request: {
      params: idParam("node"),
      headers: idempotencyHeader,
      body: jsonBody(ZStakeRequest, { amount: "50000000", idempotencyKey: "unbond-1" }),
    },
    ok: {
      201: { description: "Unbonding; or, for a retry with the same key and body, the first answer again.", schema: ZUnbondResult },
    },
    errors: [400, 404, 409, 413, 422],
  },
  // ---- Payouts
  {
    method: "get",
    path: "/api/v1/payouts/quote",
    tag: "Payouts",
    summary: "Quote a withdrawal",
    description: "`?amount=<base units>`: the fee and what arrives. Without it: the rules.",
    access: { scope: "billing:read" },
    request: { query: z.object({ amount: ZBaseUnits.optional() }) },
    ok: { 200: { description: "The quote.", schema: ZWithdrawalQuote } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/payouts/address",
    tag: "Payouts",
    summary: "Payout address",
    access: { scope: "billing:read" },
    ok: { 200: { description: "The verified payout address, or `{ address: null }`.", schema: ZPayoutAddress } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/payouts/address",
    tag: "Payouts",
    summary: "Verify a payout address",
    description: "The `personal_sign` signature of a challenge's message by the address's key.",
    access: { scope: "payouts:write" },
    request: {
      body: jsonBody(ZVerifyPayoutAddressBody, { challengeId: "0b6f2c8e-6c2a-4b8e-9a51-3f0c1d2e4a5b", signature: `0x${"ab".repeat(65)}` }),
    },
    ok: { 200: { description: "The address, verified.", schema: ZVerifiedPayoutAddress } },
    errors: [400, 404, 409, 413],
  },
  {
    method: "post",
    path: "/api/v1/payouts/address/challenge",
    tag: "Payouts",
    summary: "Challenge for a payout address",
    description: "The message to sign with the address's key (valid once, for minutes).",
    access: { scope: "payouts:write" },
    request: { body: jsonBody(ZPayoutAddressChallengeBody, { address: "0x52908400098527886E0F7030069857D2E4169EE7" }) },
    ok: { 201: { description: "The challenge.", schema: ZPayoutAddressChallenge } },
    errors: [400, 413],
  },
  {
    method: "get",
    path: "/api/v1/payouts/withdrawals",
    tag: "Payouts",
    summary: "List withdrawals",
    access: { scope: "billing:read" },
    request: { query: z.object({ limit: z.int().min(1).max(200).optional().describe("Default 50.") }) },
    ok: { 200: { description: "The withdrawals, newest first.", schema: ZWithdrawalList } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/payouts/withdrawals",
    tag: "Payouts",
    summary: "Withdraw earnings",
    description: "To the verified payout address. `fee`, when sent, must be the quoted fee. 201 when created, 200 for a retry.",
    access: { scope: "payouts:write" },
    request: {
      headers: idempotencyHeader,
      body: jsonBody(ZWithdrawalBody, { amount: "25000000", fee: "100000", idempotencyKey: "withdraw-1" }),
    },
    ok: {
      201: { description: "The withdrawal, queued.", schema: ZWithdrawal },
      200: { description: "The same key's earlier withdrawal.", schema: ZWithdrawal },
    },
    errors: [400, 402, 409, 413, 422],
  },
  {
    method: "get",
    path: "/api/v1/payouts/withdrawals/{id}",
    tag: "Payouts",
    summary: "Get a withdrawal",
    access: { scope: "billing:read" },
    request: { params: idParam("withdrawal") },
    ok: { 200: { description: "The withdrawal.", schema: ZWithdrawal } },
    errors: [404],
  },
  // ---- Rewards
  {
    method: "get",
    path: "/api/v1/rewards",
    tag: "Rewards",
    summary: "Epoch rewards",
    description: "Granted, claimable, unvested, claimed and forfeited; what an early claim would pay; the newest grants and claims.",
    access: { scope: "billing:read" },
    request: { query: z.object({ limit: z.int().min(1).max(100).optional().describe("Grants and claims listed; default 20.") }) },
    ok: { 200: { description: "The rewards.", schema: ZRewards } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/rewards/claim",
    tag: "Rewards",
    summary: "Claim rewards",
    description:
      "`vested` (the default) moves what has vested to the earnings; `early` takes everything left less the haircut. 409 when there is nothing to claim.",
    access: { scope: "payouts:write" },
    request: { headers: idempotencyHeader, body: jsonBody(ZClaimRewardsBody, { kind: "vested", idempotencyKey: "claim-1" }) },
    ok: {
      201: { description: "Claimed.", schema: ZRewardClaim },
      200: { description: "The same key's earlier claim.", schema: ZRewardClaim },
    },
    errors: [400, 404, 409, 413, 422],
  },
  {
    method: "get",
    path: "/api/v1/rewards/emissions",
    tag: "Rewards",
    summary: "Emissions by epoch",
    access: "public",
    request: { query: z.object({ limit: ZEmissionsLimit.optional() }) },
    ok: { 200: { description: "Each closed epoch's emission, newest first.", schema: ZEmissions } },
    errors: [400],
  },
  // ---- Network and verification (public)
  {
    method: "get",
    path: "/api/v1/network/live",
    tag: "Network",
    summary: "Live network",
    description: "Nodes online, CU/h, jobs per minute, regions, recent activity (anonymised).",
    access: "public",
    ok: { 200: { description: "The live numbers.", schema: ZLiveNetwork } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/v1/network/recent",
    tag: "Network",
    summary: "Recent activity",
    description: "Jobs finished per minute, model and region over the last hour, two minutes after the minute closed.",
    access: "public",
    request: { query: z.object({ limit: ZRecentLimit.optional() }) },
    ok: { 200: { description: "The activity.", schema: ZRecentActivity } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/network/providers",
    tag: "Network",
    summary: "Provider records",
    description: "Nodes, proven frauds, slashed and refunded amounts per provider, frauds first.",
    access: "public",
    request: { query: ZProviderRecordsQuery },
    ok: { 200: { description: "The records.", schema: ZProviderRecords } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/public-keys",
    tag: "Verification",
    summary: "Public keys",
    description: "For checking receipts offline: the platform's, and a node's with `?node=<id>`.",
    access: "public",
    request: { query: z.object({ node: ZNodeId.optional() }) },
    ok: { 200: { description: "The keys.", schema: ZPublicKeys } },
    errors: [400, 404],
  },
  {
    method: "get",
    path: "/api/v1/verification/epochs",
    tag: "Verification",
    summary: "Verification by epoch",
    description: "Per-epoch verification statistics and the running epoch.",
    access: "public",
    request: { query: z.object({ limit: ZEpochsLimit.optional() }) },
    ok: { 200: { description: "The statistics.", schema: ZVerificationEpochs } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    tag: "Meta",
    summary: "This document",
    access: "public",
    ok: { 200: { description: "The OpenAPI 3.1 document.", schema: z.record(z.string(), z.unknown()) } },
    errors: [],
  },
  // ---- Webhooks
  {
    method: "post",
    path: "/api/v1/webhooks/endpoints",
    tag: "Webhooks",
    summary: "Register a webhook endpoint",
    description: [
      "Registers an https URL for the events named; the answer carries its signing secret (`whsec_…`), shown this once. The host must resolve to public addresses (a private, loopback or link-local one is a 400). At most 10 endpoints per organisation by default (a 400 past it).",
      WEBHOOK_DELIVERY_TEXT,
    ].join("\n\n"),
    access: { scope: "keys:write" },
    request: {
      body: jsonBody(ZCreateWebhookEndpointBody, {
        url: "https://example.com/proofgrid/webhooks",
        events: ["job.succeeded", "job.failed"],
        description: "Production receiver",
      }),
    },
    ok: { 201: { description: "The endpoint, with its signing secret (shown only here).", schema: ZWebhookEndpointWithSecret } },
    errors: [400, 413],
  },
  {
    method: "get",
    path: "/api/v1/webhooks/endpoints",
    tag: "Webhooks",
    summary: "List webhook endpoints",
    description: "The organisation's endpoints, oldest first, without their secrets.",
    access: { scope: "jobs:read" },
    ok: { 200: { description: "The endpoints.", schema: ZWebhookEndpointList } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/v1/webhooks/endpoints/{id}",
    tag: "Webhooks",
    summary: "Get a webhook endpoint",
    description: "One endpoint, without its secret; another organisation's id answers 404 like an unknown one.",
    access: { scope: "jobs:read" },
    request: { params: idParam("webhook endpoint") },
    ok: { 200: { description: "The endpoint.", schema: ZWebhookEndpoint } },
    errors: [404],
  },
  {
    method: "patch",
    path: "/api/v1/webhooks/endpoints/{id}",
    tag: "Webhooks",
    summary: "Update a webhook endpoint",
    description:
      "Changes `url` (checked as on registration), `events`, `description` or `enabled`, at least one. A disabled endpoint's deliveries fail at once and are not retried.",
    access: { scope: "keys:write" },
    request: {
      params: idParam("webhook endpoint"),
      body: jsonBody(ZUpdateWebhookEndpointBody, { events: ["job.succeeded", "job.refunded", "credits.low"], enabled: true }),
    },
    ok: { 200: { description: "The endpoint after the change.", schema: ZWebhookEndpoint } },
    errors: [400, 404, 413],
  },
  {
    method: "delete",
    path: "/api/v1/webhooks/endpoints/{id}",
    tag: "Webhooks",
    summary: "Delete a webhook endpoint",
    description: "Deletes the endpoint and its delivery log; nothing more is sent to it.",
    access: { scope: "keys:write" },
    request: { params: idParam("webhook endpoint") },
    ok: { 200: { description: "Deleted.", schema: ZDeletedWebhookEndpoint } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/webhooks/endpoints/{id}/rotate-secret",
    tag: "Webhooks",
    summary: "Rotate a webhook endpoint's secret",
    description:
      "A new signing secret, shown this once. For `overlapSeconds` (default 86 400, at most 604 800) every delivery is signed with both secrets (`previousSecretExpiresAt` says until when), so the receiver can switch when it likes; 0 retires the old secret at once. The body may be empty.",
    access: { scope: "keys:write" },
    request: {
      params: idParam("webhook endpoint"),
      body: { ...jsonBody(ZRotateWebhookSecretBody, { overlapSeconds: 3600 }), required: false },
    },
    ok: { 200: { description: "The endpoint with its new secret (shown only here).", schema: ZWebhookEndpointWithSecret } },
    errors: [400, 404, 413],
  },
  {
    method: "post",
    path: "/api/v1/webhooks/endpoints/{id}/test",
    tag: "Webhooks",
    summary: "Send a test event",
    description:
      "Queues a `webhook.test` event (`data`: `endpointId`, `message`) to this endpoint only: it is delivered, signed and retried like any event, and shows in the delivery log. 409 when the endpoint is disabled.",
    access: { scope: "keys:write" },
    request: { params: idParam("webhook endpoint") },
    ok: { 202: { description: "Queued: its `eventId` is the delivery's `webhook-id`.", schema: ZWebhookTestEvent } },
    errors: [404, 409],
  },
  {
    method: "get",
    path: "/api/v1/webhooks/endpoints/{id}/deliveries",
    tag: "Webhooks",
    summary: "An endpoint's deliveries",
    description:
      "The delivery log, newest first, with every attempt's status, latency and error and the body as sent; keyset pagination (`nextCursor`). Kept 30 days.",
    access: { scope: "jobs:read" },
    request: { params: idParam("webhook endpoint"), query: ZListWebhookDeliveriesQuery },
    ok: { 200: { description: "A page of deliveries.", schema: ZWebhookDeliveryList } },
    errors: [400, 404],
  },
  // ---- OpenAI-compatible (/v1): the same keys, OpenAI's shapes
  {
    method: "get",
    path: "/v1/models",
    tag: "OpenAI-compatible",
    summary: "List models (OpenAI)",
    description: "OpenAI's model list: point an OpenAI client's `baseURL` at `<this host>/v1`.",
    access: { scope: "models:read" },
    ok: { 200: { description: "The catalog.", schema: ZOpenAiModelList } },
    errors: [],
    errorSchema: ZOpenAiError,
  },
  {
    method: "post",
    path: "/v1/embeddings",
    tag: "OpenAI-compatible",
    summary: "Create embeddings (OpenAI)",
    description:
      "One call is one Proofgrid job (placed, verified, receipted, billed); its id is in the `x-proofgrid-job-id` header. `dimensions` is refused: the encoders return their native size.",
    access: { scope: "jobs:write" },
    request: { body: jsonBody(ZEmbeddingsRequest, { model: "encoder-synthetic-minilm", input: ["first text", "second text"] }) },
    ok: { 200: { description: "The vectors and the tokens used.", schema: ZOpenAiEmbeddings } },
    errors: [400, 402, 404, 413],
    errorSchema: ZOpenAiError,
  },
];

/** Failures any operation of its kind can answer: authentication and scope, rate limit, outages. */
function commonErrors(access: Access): number[] {
  return access === "public" ? [500, 503] : [401, 403, 429, 500, 503];
}

function securityOf(access: Access): RouteConfig["security"] {
  if (access === "public") return [];
  if ("orSession" in access) return [{ [API_KEY_SCHEME]: [access.scope] }, { [SESSION_SCHEME]: [] }];
  return [{ [API_KEY_SCHEME]: [access.scope] }];
}

export function buildRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", API_KEY_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "An organisation's API key (`pg_…`), created in the dashboard under API keys, with the operation's scope.",
  });
  registry.registerComponent("securitySchemes", SESSION_SCHEME, {
    type: "apiKey",
    in: "cookie",
    name: "better-auth.session_token",
    description: "The dashboard's session (its download links); not for programs.",
  });
  for (const op of OPERATIONS) {
    const responses: RouteConfig["responses"] = {};
    for (const [status, r] of Object.entries(op.ok)) {
      responses[status] = r.schema
        ? { description: r.description, content: { [r.contentType ?? "application/json"]: { schema: r.schema } } }
        : { description: r.description };
    }
    for (const status of [...op.errors, ...commonErrors(op.access)].sort((a, b) => a - b)) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status] ?? "Error.",
        content: { "application/json": { schema: op.errorSchema ?? ZErrorBody } },
      };
    }
    const scope = op.access === "public" ? "None: public." : `API key with \`${op.access.scope}\`.`;
    registry.registerPath({
      method: op.method,
      path: op.path,
      tags: [op.tag],
      summary: op.summary,
      description: [op.description, `**Authentication:** ${scope}`].filter(Boolean).join("\n\n"),
      operationId: operationId(op.method, op.path),
      security: securityOf(op.access),
      request: op.request,
      responses,
    });
  }
  return registry;
}

/** `get /api/v1/jobs/{id}/verification` → `getJobsIdVerification`; `get /v1/models` → `getOpenAiModels`. */
function operationId(method: Method, path: string): string {
  const words = path
    .replace(/^\/(api\/)?v1\//, "")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return method + (path.startsWith("/v1/") ? "OpenAi" : "") + words.join("");
}
