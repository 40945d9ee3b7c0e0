import { randomInt } from "node:crypto";
import { countOpenChallengeChecks } from "@proofgrid/db/challenges/challenge-checks";
import { drawRecentCustomerModel } from "@proofgrid/db/challenges/recent-customer-model";
import { hasCustomerLeaseAfter, loadLeaseHistory, loadWorkerLeasesSince } from "@proofgrid/db/challenges/worker-leases";
import { sql } from "@proofgrid/db/sql-client";
import { canaryRate } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { openChallengeCheck } from "./challenge-jobs.ts";
import { ChallengeTimer } from "./challenge-timing.ts";
import { getPorConfig } from "./por-config.ts";

// When challenges arrive (issue 12: "timing that reveals nothing"). Behind each customer
// lease, at por's canary rate, a challenge is drawn; it is armed after a random delay and
// then sent at a moment timed by the worker's own leases (challenge-timing.ts: a gap after
// its newest lease, re-drawn at every lease, so that the time since the previous lease and
// the load around it follow the customers' law). It takes the model of one of the worker's
// recent customer jobs. Standby checks and latency probes wait for the worker's next customer
// lease the same way; a worker with no traffic gets them at a uniformly random moment of the
// epoch instead (it has no customer job to cheat on). State is in memory on the leading
// coordinator: a restart loses at most the challenges not yet sent, which only makes the
// next ones later; a worker's gaps are read back from its leases.

type Kind = "canary" | "standby" | "latency";
interface NodeRef {
  id: string;
  orgId: string;
  models: string[];
}

/** Bounds: challenges waiting to be sent, standby checks waiting for traffic, workers timed. */
const MAX_DUE = 10_000;
const MAX_AWAITING = 10_000;
const MAX_NODES = 50_000;
/** Leases looked at per tick, and gaps kept per worker. */
const MAX_LEASES_PER_TICK = 5_000;
const GAPS_PER_NODE = 100;
/** At most this many open challenge checks per worker: a bound, not a signal (customers burst too). */
const MAX_OPEN_PER_NODE = 3;
/** Challenges due within this much of a tick are sent at their own time, not the next tick's: two ticks, so a late tick leaves no hole. */
const TICK_HORIZON_MS = 400;

const awaiting = new Map<string, { node: NodeRef; kind: "standby" | "latency"; deadline: number }>();
let timer: ChallengeTimer<{ node: NodeRef; kind: Kind }> | undefined;
let since: Date | undefined;

function challengeTimer() {
  timer ??= new ChallengeTimer({
    armMeanMs: getPorConfig().challengeArmMs,
    random: () => randomInt(0, 2 ** 47) / 2 ** 47,
    gapsPerNode: GAPS_PER_NODE,
    maxPending: MAX_DUE,
    maxNodes: MAX_NODES,
  });
  return timer;
}

/** A standby check or latency probe for `node`, opened a traffic-like gap after its next customer lease, or at a random moment before `deadline`. */
export function deferToTraffic(node: NodeRef, kind: "standby" | "latency", deadline: number): void {
  if (awaiting.size >= MAX_AWAITING) return;
  awaiting.set(node.id, { node, kind, deadline });
}

/** One tick: feed the leases since the last tick to the timer, draw challenges behind the customer ones, and send the due ones at their time. */
export async function scheduleTrafficChallenges(): Promise<number> {
  const config = getPorConfig();
  if (!config.challenges) return 0;
  const t = challengeTimer();
  const now = Date.now();
  const from = since ?? new Date(now - 1_000);
  since ??= from;
  const leases = await loadWorkerLeasesSince(sql(), { from, limit: MAX_LEASES_PER_TICK });
  for (const l of leases) {
    since = l.leased_at;
    if (!t.has(l.node_id)) {
      const history = await leaseHistory(l.node_id, from);
      t.seed(l.node_id, history.gaps, history.last);
    }
    t.lease(l.node_id, l.leased_at.getTime(), l.customer);
    if (!l.customer) continue;
    const node = { id: l.node_id, orgId: l.org_id, models: l.models };
    const rate = canaryRate({ reputation: l.reputation_score, completedJobs: l.completed_jobs, policy: config.sampling });
    if (Math.random() < rate) t.add(node.id, { node, kind: "canary" }, l.leased_at.getTime());
    const waiting = awaiting.get(l.node_id);
    if (waiting) {
      awaiting.delete(l.node_id);
      t.add(node.id, { node, kind: waiting.kind }, l.leased_at.getTime());
    }
  }
  // Idle workers: their standby check at a random moment before the deadline.
  for (const [id, w] of awaiting) {
    if (w.deadline <= now) {
      awaiting.delete(id);
      t.addAt(id, { node: w.node, kind: w.kind }, now + randomInt(0, 5_000));
    }
  }
  const due = t.take(now, TICK_HORIZON_MS);
  // The newest lease the timer has heard of: a customer lease after it, before a challenge's
  // time, means the challenge was timed from a lease that is no longer the last one.
  const knownUntil = (since ?? from).getTime();
  for (const d of due) {
    const open = async () => {
      try {
        if (await hasCustomerLeaseAfter(sql(), { nodeId: d.nodeId, at: new Date(knownUntil) })) {
          t.requeue(d.nodeId, d.item);
          return;
        }
        await openDue(d.item);
      } catch (err) {
        logger.error({ err, nodeId: d.nodeId, kind: d.item.kind }, "challenge schedule: could not open a check");
      }
    };
    const wait = d.due - Date.now();
    if (wait <= 0) await open();
    else setTimeout(open, wait).unref();
  }
  return due.length;
}

async function openDue(d: { node: NodeRef; kind: Kind }): Promise<void> {
  if ((await countOpenChallengeChecks(sql(), { nodeId: d.node.id })) >= MAX_OPEN_PER_NODE) return;
  // One of the worker's recent customer jobs' models, drawn at random: the challenges' model mix is its traffic's.
  const modelId = await drawRecentCustomerModel(sql(), { nodeId: d.node.id });
  await openChallengeCheck({ node: d.node, kind: d.kind, planned: 1, modelId: modelId ?? undefined });
}

/**
 * A worker's recent leases before `before`, as the timer keeps them: the gap in front of each
 * customer lease (from the lease before it, of any kind) and the newest lease's time.
 */
async function leaseHistory(nodeId: string, before: Date): Promise<{ gaps: number[]; last: number | undefined }> {
  const rows = await loadLeaseHistory(sql(), { nodeId, before, limit: GAPS_PER_NODE * 2 });
  rows.reverse();
  const gaps: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i] as { leased_at: Date; customer: boolean };
    if (r.customer) gaps.push(r.leased_at.getTime() - (rows[i - 1] as { leased_at: Date }).leased_at.getTime());
  }
  return { gaps: gaps.filter((g) => g > 0), last: rows.at(-1)?.leased_at.getTime() };
}
