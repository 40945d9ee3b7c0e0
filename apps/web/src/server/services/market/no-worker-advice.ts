// What a customer should change when no worker can take a job now, pure: from the workers
// that serve the model and the customer's cap. The indexer's own message says which hard
// filters eliminated how many workers; this says what to do about it.

import { formatTokens } from "../billing/tokens.ts";

export interface ServingWorker {
  orgId: string;
  quarantined: boolean;
  minStakeOk: boolean;
  freeSlots: number;
  askPerCuBaseUnits: bigint;
}

export interface QueueHint {
  position: number;
  estimatedStartMs: number | null;
}

export interface NoWorkerAdvice {
  code: "no_worker_serves_model" | "only_own_workers" | "workers_unavailable" | "raise_price_cap" | "all_busy" | "other";
  advice: string;
  /** The cheapest ask among the workers that could take the job but for price or a free slot. */
  cheapestAskPerCu: bigint | null;
}

export function adviseNoWorker(opts: {
  model: string;
  orgId: string;
  cap: bigint;
  serving: readonly ServingWorker[];
  queue: QueueHint | null;
  fallback: string;
}): NoWorkerAdvice {
  const { model, cap } = opts;
  const others = opts.serving.filter((w) => w.orgId !== opts.orgId);
  if (opts.serving.length === 0) {
    return {
      code: "no_worker_serves_model",
      advice: `No online worker serves ${model} now: a job submitted now waits in the queue until one does (see GET /api/v1/market for what is served where).`,
      cheapestAskPerCu: null,
    };
  }
  if (others.length === 0) {
    return {
      code: "only_own_workers",
      advice: `Only your own organisation's workers serve ${model}, and an organisation's jobs never run on its own workers: wait for another provider to serve it.`,
      cheapestAskPerCu: null,
    };
  }
  const eligible = others.filter((w) => !w.quarantined && w.minStakeOk);
  if (eligible.length === 0) {
    return {
      code: "workers_unavailable",
      advice: `The ${others.length} worker(s) serving ${model} are quarantined or lack the minimum stake: try again later.`,
      cheapestAskPerCu: null,
    };
  }
  let cheapest = eligible[0]?.askPerCuBaseUnits ?? 0n;
  for (const w of eligible) if (w.askPerCuBaseUnits < cheapest) cheapest = w.askPerCuBaseUnits;
  if (cap < cheapest) {
    const free = eligible.filter((w) => w.freeSlots > 0 && w.askPerCuBaseUnits === cheapest).length;
    return {
      code: "raise_price_cap",
      advice:
        `Raise your price cap of ${formatTokens(cap)} tokens per CU to at least ${formatTokens(cheapest)} tokens (maxPricePerCu: "${cheapest}", in base units), the cheapest ask among the ${eligible.length} worker(s) serving ${model}` +
        (free > 0 ? "." : " (busy now: the job would queue for it)."),
      cheapestAskPerCu: cheapest,
    };
  }
  const affordable = eligible.filter((w) => w.askPerCuBaseUnits <= cap);
  if (affordable.every((w) => w.freeSlots <= 0)) {
    const q = opts.queue;
    const wait =
      q === null
        ? ""
        : q.estimatedStartMs === null
          ? ` A job submitted now would be number ${q.position} in the queue (no start estimate yet: nothing finished recently).`
          : ` A job submitted now would be number ${q.position} in the queue and start in about ${Math.max(1, Math.round(q.estimatedStartMs / 1000))} s.`;
    return {
      code: "all_busy",
      advice: `All ${affordable.length} worker(s) serving ${model} at or below your cap are busy.${wait}`,
      cheapestAskPerCu: cheapest,
    };
  }
  return { code: "other", advice: opts.fallback, cheapestAskPerCu: cheapest };
}
