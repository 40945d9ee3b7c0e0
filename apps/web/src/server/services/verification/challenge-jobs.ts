import { createHash, randomInt, randomUUID } from "node:crypto";
import { insertChallengeCheck, recordChallengeItemSeed } from "@proofgrid/db/challenges/challenge-checks";
import { insertChallengeJob, insertChallengeJobPayload } from "@proofgrid/db/challenges/challenge-jobs";
import { loadCustomChallengeModel, loadModelsByIds } from "@proofgrid/db/challenges/challenge-models";
import type { Db } from "@proofgrid/db/db-types";
import { postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { capabilityInput } from "@proofgrid/models/capability-input";
import { isModelSlug } from "@proofgrid/models/catalog";
import { type CustomInputShape, renderCustomChallenge } from "@proofgrid/models/custom/tensor-traffic";
import { renderTrafficChallenge } from "@proofgrid/models/traffic/render-traffic-challenge";
import type { InputShape } from "@proofgrid/models/traffic/measure-input";
import { generateChallengeSeed, hashJson } from "@proofgrid/por";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { priceForCost } from "../billing/pricing.ts";
import { checkJobInput, checkModelJobInput } from "../models/check-job-input.ts";
import type { ResolvedModel } from "../models/resolve-model.ts";
import {
  CORPUS_KIND_OF_SLUG,
  drawChallengeContent,
  drawCustomTrafficShape,
  drawReplayInput,
  drawTrafficShape,
} from "./challenge-corpus.ts";
import { challengeSecret, epochOf } from "./por-config.ts";
import { PROTOCOL_ORG_ID, protocolAvailable, protocolHeld } from "./protocol-org.ts";

export type ChallengeKind = "registration" | "standby" | "latency" | "canary";

/** The seed of the i-th job of a check: public to whoever checks it, derived from the
 * check's seed so the whole challenge is named by one secret-derived value. */
export function challengeItemSeed(checkSeed: string, index: number): string {
  return createHash("sha256").update(`${checkSeed}:${index}`).digest("hex");
}

interface SubjectNode {
  id: string;
  orgId: string;
  models: string[];
}

/** A node's models a challenge can be generated for (every built-in model has a generator),
 * in slug order: registration checks take them in turn. */
export async function challengeModels(db: Db, modelIds: readonly string[]): Promise<{ id: string; slug: string }[]> {
  const rows = await loadModelsByIds(db, { modelIds });
  return rows.filter((m) => isModelSlug(m.slug));
}

/** A challenge on an uploaded model: the model as its jobs are priced, and the numbers of the customer job it imitates. */
export interface CustomChallenge {
  model: ResolvedModel;
  shape: CustomInputShape;
}

/**
 * An uploaded model (issue 17) a spot check on `nodeId` may take, with one recent customer
 * job's measured input to imitate: only one the node ran a customer's job on in the last day
 * and still accepts (loadCustomChallengeModel), so a challenge on a private model reaches no
 * node that was not already sent it. Null when it may not, or before its traffic was measured
 * (a challenge in no customer's shape would stand out; the node's catalog models stand in).
 */
async function customChallengeOf(nodeId: string, modelId: string): Promise<CustomChallenge | null> {
  const m = await loadCustomChallengeModel(sql(), { modelId, nodeId });
  if (!m) return null;
  const shape = await drawCustomTrafficShape(m.id);
  if (!shape) return null;
  return { model: { id: m.id, slug: m.slug, kind: m.kind, baseCostMilliCu: m.base_cost_milli_cu }, shape };
}

/**
 * Opens a check of `kind` on a node: a secret-derived seed, then its first challenge job
 * (registration checks run `planned` jobs one after another, so each is timed alone).
 * Returns null when the node runs no model a challenge exists for. A canary or standby check
 * given an uploaded model from the node's own traffic (the challenge schedule's) is planted
 * on it, in the shape of one of its recent customer jobs (customChallengeOf); uploaded models
 * are in no node's `models`, so no other path picks one.
 */
export async function openChallengeCheck(opts: {
  node: SubjectNode;
  kind: ChallengeKind;
  planned: number;
  modelId?: string;
}): Promise<string | null> {
  // Not a capability check nor a latency probe: both are timed, and an uploaded model may be
  // cold on the node (fetched again, its session built), which says nothing of its speed.
  const untimed = opts.kind === "canary" || opts.kind === "standby";
  const custom = untimed && opts.modelId ? await customChallengeOf(opts.node.id, opts.modelId) : null;
  const models = custom ? [custom.model] : await challengeModels(sql(), opts.node.models);
  if (models.length === 0) return null;
  const epoch = epochOf(Date.now());
  const seed = generateChallengeSeed({ secret: challengeSecret(), nodeId: opts.node.id, epoch, sequence: randomInt(0, 2 ** 47) });
  // Registration covers the node's models in turn (like the capability benchmark does); a
  // spot check takes one at random.
  // (a spot check given a model — the challenge schedule's, from the worker's own traffic — takes that one).
  const first = opts.kind === "registration" ? models[0] : (models.find((m) => m.id === opts.modelId) ?? models[randomInt(models.length)]);
  if (!first) return null;
  const checkId = randomUUID();
  await insertChallengeCheck(sql(), {
    id: checkId,
    kind: opts.kind,
    subjectNodeId: opts.node.id,
    subjectOrgId: opts.node.orgId,
    modelId: first.id,
    seed,
    plannedJobs: opts.planned,
    epoch,
  });
  await submitChallengeJob({
    checkId,
    seed,
    index: 0,
    nodeId: opts.node.id,
    subjectOrgId: opts.node.orgId,
    model: first,
    capability: opts.kind === "registration",
    ...(custom ? { custom } : {}),
  });
  logger.info({ checkId, kind: opts.kind, nodeId: opts.node.id, model: first.slug }, "challenge opened");
  return checkId;
}

/**
 * Submits one challenge job pinned to the subject, priced like any job, funded from the
 * emission pool into the protocol's account and held like a customer's. Its input copies
 * the shape of a recent customer job of the model with content from the private corpus
 * (challenge-corpus.ts; issue 12: inputs a worker cannot tell from its customers'), except
 * a registration check's, which takes the benchmark's shapes to be timed against the claim.
 * The idempotency key `challenge:<check>:<i>` makes a retried call create nothing.
 */
export async function submitChallengeJob(opts: {
  checkId: string;
  seed: string;
  index: number;
  nodeId: string;
  /** The subject's provider: corpus content from jobs its nodes ran is never used on it. */
  subjectOrgId?: string;
  model: { id: string; slug: string };
  /** Capability challenges use the benchmark's input shapes (timed against the claim). */
  capability?: boolean;
  /** On an uploaded model: rendered from a customer job's numbers, checked and priced by the model's signature. */
  custom?: CustomChallenge;
}) {
  const itemSeed = challengeItemSeed(opts.seed, opts.index);
  const input = opts.custom
    ? renderCustomChallenge(opts.custom.shape, itemSeed)
    : opts.capability
      ? await capabilityInput(opts.model.slug as never, itemSeed)
      : await trafficChallengeInput(opts.model, itemSeed, opts.subjectOrgId);
  // The same gate and price as a customer's job of the model (a rendered input that its
  // signature refuses is a bug here, and no job is made of it).
  const { costMilliCu, inputBytes } = opts.custom
    ? await checkModelJobInput(opts.custom.model, input)
    : await checkJobInput(opts.model.slug, input);
  const price = priceForCost(costMilliCu, getEnv().PRICE_PER_CU_BASE_UNITS);
  const jobId = randomUUID();
  const idempotencyKey = `challenge:${opts.checkId}:${opts.index}`;
  await sqlTransaction(async (tx) => {
    const created = await insertChallengeJob(tx, {
      id: jobId,
      orgId: PROTOCOL_ORG_ID,
      modelId: opts.model.id,
      costMilliCu,
      price,
      inputHash: hashJson(input),
      inputBytes,
      idempotencyKey,
      pinnedNodeId: opts.nodeId,
      checkId: opts.checkId,
    });
    if (!created) return;
    await insertChallengeJobPayload(tx, { jobId, input });
    await recordChallengeItemSeed(tx, { checkId: opts.checkId, jobId, itemSeed });
    await postTransfer(tx, {
      idempotencyKey: `challenge-fund:${jobId}`,
      kind: "challenge_fund",
      jobId,
      legs: [
        { code: SYSTEM_ACCOUNTS.emissionPool.code, amount: -price },
        { code: protocolAvailable, amount: price },
      ],
    });
    await postTransfer(tx, {
      idempotencyKey: `hold:${jobId}`,
      kind: "hold",
      jobId,
      legs: [
        { code: protocolAvailable, amount: -price },
        { code: protocolHeld, amount: price },
      ],
    });
  });
  return jobId;
}

/**
 * A challenge in the shape of a recent customer job of the model: a donated input of that
 * shape replayed whole when one is left, else one rendered in that shape from corpus content.
 */
async function trafficChallengeInput(
  model: { id: string; slug: string },
  seed: string,
  subjectOrgId: string | undefined,
): Promise<unknown> {
  const traffic = await drawTrafficShape(model.id);
  if (traffic && subjectOrgId) {
    const replay = await drawReplayInput({ modelId: model.id, subjectOrgId, shape: traffic });
    if (replay !== null) return replay;
  }
  const shape = traffic ?? DEFAULT_SHAPES[model.slug];
  if (!shape) throw new Error(`no challenge shape for ${model.slug}`);
  const kind = CORPUS_KIND_OF_SLUG[model.slug];
  const content = kind
    ? await drawChallengeContent({ subjectOrgId: subjectOrgId ?? PROTOCOL_ORG_ID, kind })
    : { sentences: [], lines: [], speech: [] };
  const rendered = await renderTrafficChallenge(shape, content, seed);
  if (rendered.source === "fallback") logger.debug({ model: model.slug }, "challenge: no corpus content yet; public templates stood in");
  return rendered.input;
}

/** Shapes before any customer traffic was seen (a fresh network): those of the catalog's reference inputs. */
const DEFAULT_SHAPES: Record<string, InputShape> = {
  "ocr-ppocr-v4": {
    kind: "ocr",
    format: "png",
    width: 640,
    height: 640,
    bytesPerPixel: 0.05,
    hasAlpha: false,
    paperLuma: 255,
    inkLuma: 0,
    noise: 0,
    chroma: 0,
    lines: [],
  },
  "vad-silero-v5": { kind: "vad", durationSec: 6, noiseRms: 0.001, peak: 0.6, speech: [] },
  "encoder-synthetic-minilm": { kind: "embedding", form: "text", lengths: [72] },
};
