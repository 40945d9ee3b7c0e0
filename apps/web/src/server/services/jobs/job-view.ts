import type { Prisma } from "@proofgrid/db/generated/prisma/client";
import type { JobViewRow } from "@proofgrid/db/jobs";
import { regionLocation } from "../dispatch/network.ts";
import { type PostprocessedResult, type Processing, type ProcessingOptions, postprocessOutput } from "@proofgrid/models/custom/processing";

/** The columns a customer may see of a job (explicit select, never `include`). */
export const jobViewSelect = {
  id: true,
  state: true,
  attempt: true,
  costMilliCu: true,
  price: true,
  error: true,
  clientRegion: true,
  inputHash: true,
  outputHash: true,
  receipt: true,
  verification: true,
  rerunOfId: true,
  maxPricePerCu: true,
  unitPrice: true,
  royalty: true,
  placement: true,
  reservationId: true,
  refundedAmount: true,
  verificationNote: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  model: { select: { id: true, slug: true } },
  node: { select: { id: true, region: true } },
} satisfies Prisma.JobSelect;

export type JobRow = Prisma.JobGetPayload<{ select: typeof jobViewSelect }>;

/** What a view is made from: a row of `jobViewSelect` (the ORM's), or of `selectJobView` (one statement). */
export type JobViewSource = Omit<JobViewRow, "output" | "pinnedNodeId">;

export interface JobView {
  id: string;
  model: string;
  modelId: string;
  state: string;
  attempt: number;
  costMilliCu: number;
  /** Token base units as a decimal string. */
  price: string;
  error: string | null;
  clientRegion: string | null;
  inputHash: string;
  outputHash: string | null;
  workerRegion: string | null;
  workerId: string | null;
  receipt: unknown;
  /** PoR: unverified | pending | verified | disputed | inconclusive | refunded. */
  verification: string;
  /** Set when the result was proven wrong (or audited after its worker was): what happened,
   * what was refunded, and what the customer can do. */
  notice: string | null;
  /** Base units refunded from the cheating worker's clawed-back earnings and slashed stake. */
  refunded: string | null;
  /** For a re-run: the job it replaces. */
  rerunOf: string | null;
  /** The customer's cap per CU (base units); null = the list price. */
  maxPricePerCu: string | null;
  /** The assigned worker's asking price per CU: what settlement charges (0 under a reservation). */
  unitPrice: string | null;
  /** Of `price`, what the uploaded model's owner is paid per job (base units; "0": none). */
  royalty: string;
  /** The indexer's decision: the worker chosen, why (each term's value and weight, the
   * runner-up), and the workers each hard filter eliminated. */
  placement: unknown;
  reservationId: string | null;
  /** While queued: position among this model's queued jobs and an estimated start. */
  queue?: QueueEstimate | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  output?: unknown;
  /** With the output of an uploaded model whose listing chose `softmax` or `labels`: the
   * probabilities, or the most probable classes by name, computed from the verified output. */
  result?: PostprocessedResult;
}

export interface QueueEstimate {
  position: number;
  /** null when no online worker serves the model or nothing has finished recently. */
  estimatedStartMs: number | null;
  reason: string | null;
}

/** For a job refunded before refunds carried their own note (verification/fraud-notices.ts writes them now). */
export const REFUND_NOTICE =
  "A checker re-ran this job and a third executor confirmed the result was wrong. Its price was refunded from the worker's slashed stake; POST /api/v1/jobs/<id>/rerun runs it again on another worker.";

export const TERMINAL_STATES = new Set(["succeeded", "failed", "canceled", "expired"]);

export function toJobView(row: JobViewSource, output?: unknown): JobView {
  return {
    id: row.id,
    model: row.model.slug,
    modelId: row.model.id,
    state: row.state,
    attempt: row.attempt,
    costMilliCu: row.costMilliCu,
    price: row.price.toString(),
    error: row.error,
    clientRegion: row.clientRegion,
    inputHash: row.inputHash,
    outputHash: row.outputHash,
    // A worker declared `local` runs where the platform does: show the region it stands for.
    workerRegion: row.node ? regionLocation(row.node.region).region : null,
    workerId: row.node?.id ?? null,
    receipt: row.receipt ?? null,
    verification: row.verification,
    notice: row.verificationNote ?? (row.verification === "refunded" ? REFUND_NOTICE : null),
    refunded: row.refundedAmount?.toString() ?? null,
    rerunOf: row.rerunOfId,
    maxPricePerCu: row.maxPricePerCu?.toString() ?? null,
    unitPrice: row.unitPrice?.toString() ?? null,
    royalty: row.royalty.toString(),
    placement: row.placement ?? null,
    reservationId: row.reservationId,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    ...(output === undefined ? {} : { output }),
    // Not for a result proven wrong: its labels would be the cheater's.
    ...(row.verification === "disputed" || row.verification === "refunded" ? {} : resultOf(row.processing, output)),
  };
}

/** The listing's postprocessing of a succeeded job's output (processing.ts), if it has one. */
function resultOf(processing: JobViewSource["processing"], output: unknown): { result?: PostprocessedResult } {
  if (!processing || output === undefined || output === null) return {};
  const result = postprocessOutput(
    {
      postprocessing: processing.postprocessing as Processing["postprocessing"],
      options: (processing.options ?? {}) as ProcessingOptions,
    },
    output,
  );
  return result ? { result } : {};
}
