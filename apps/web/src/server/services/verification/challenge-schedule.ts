import { randomInt } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import { canaryRate } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { openChallengeCheck } from "./challenge-jobs.ts";
import { getPorConfig } from "./por-config.ts";

// When challenges arrive (issue 12: "timing that reveals nothing"). A challenge is due a
// gap after one of the worker's own customer leases, the gap drawn from the worker's own
// recent gaps between customer leases, and it takes the model of one of its recent
// customer jobs: challenges come as a thinned, shifted copy of the worker's traffic (a
// Poisson process mixed into it, at por's canary rate per customer job), so "time since the
// last job", bursts and the model mix look the same for both. Standby checks and latency
// probes wait for the worker's next customer lease the same way; a worker with no traffic
// gets them at a uniformly random moment of the epoch instead (it has no customer job to
// cheat on). State is in memory on the leading coordinator: a restart loses at most the
// challenges not yet opened, which only makes the next ones later.

interface Due {
  node: NodeRef;
  kind: "canary" | "standby" | "latency";
  at: number;
}
interface NodeRef {
  id: string;
  orgId: string;
  models: string[];
}

/** Bounds: challenges waiting to be opened, and standby checks waiting for traffic. */
const MAX_DUE = 10_000;
const MAX_AWAITING = 10_000;
/** Customer leases looked at per tick, and gaps kept per worker. */
const MAX_LEASES_PER_TICK = 5_000;
const GAPS_PER_NODE = 100;
/** At most this many open challenge checks per worker: a bound, not a signal (customers burst too). */
const MAX_OPEN_PER_NODE = 3;

const due: Due[] = [];
const awaiting = new Map<string, { node: NodeRef; kind: "standby" | "latency"; deadline: number }>();
let since: Date | undefined;

/** A standby check or latency probe for `node`, opened a traffic-like gap after its next customer lease, or at a random moment before `deadline`. */
export function deferToTraffic(node: NodeRef, kind: "standby" | "latency", deadline: number): void {
  if (awaiting.size >= MAX_AWAITING) return;
  awaiting.set(node.id, { node, kind, deadline });
}

/** One tick: schedule challenges behind the customer leases since the last tick, then open the due ones. */
export async function scheduleTrafficChallenges(): Promise<number> {
  const config = getPorConfig();
  if (!config.challenges) return 0;
  const now = Date.now();
  since ??= new Date(now - 1_000);
  const leases = await sql().$queryRaw<
    { node_id: string; org_id: string; models: string[]; leased_at: Date; reputation_score: number; completed_jobs: number }[]
  >`
    SELECT a.node_id, n.org_id, n.models, a.leased_at, n.reputation_score, n.completed_jobs
    FROM job_attempts a JOIN jobs j ON j.id = a.job_id JOIN nodes n ON n.id = a.node_id
    WHERE a.leased_at > ${since} AND j.purpose <> 'challenge'
      AND n.role = 'worker' AND n.status = 'online' AND n.paused_at IS NULL AND n.admission IN ('passed', 'derated')
    ORDER BY a.leased_at LIMIT ${MAX_LEASES_PER_TICK}`;
  const gaps = new Map<string, number[]>();
  for (const l of leases) {
    since = l.leased_at;
    const node = { id: l.node_id, orgId: l.org_id, models: l.models };
    const rate = canaryRate({ reputation: l.reputation_score, completedJobs: l.completed_jobs, policy: config.sampling });
    const waiting = awaiting.get(l.node_id);
    const kinds: Due["kind"][] = [];
    if (Math.random() < rate) kinds.push("canary");
    if (waiting) {
      kinds.push(waiting.kind);
      awaiting.delete(l.node_id);
    }
    for (const kind of kinds) {
      if (due.length >= MAX_DUE) break;
      let g = gaps.get(l.node_id);
      if (!g) {
        g = await recentGaps(l.node_id);
        gaps.set(l.node_id, g);
      }
      const gap = g.length > 0 ? (g[randomInt(g.length)] as number) : randomInt(1_000, 30_000);
      due.push({ node, kind, at: l.leased_at.getTime() + gap });
    }
  }
  // Idle workers: their standby check at a random moment before the deadline.
  for (const [id, w] of awaiting) {
    if (w.deadline <= now) {
      awaiting.delete(id);
      if (due.length < MAX_DUE) due.push({ node: w.node, kind: w.kind, at: now + randomInt(0, 5_000) });
    }
  }
  let opened = 0;
  due.sort((a, b) => a.at - b.at);
  while (due.length > 0 && (due[0] as Due).at <= now) {
    const d = due.shift() as Due;
    try {
      if (await openCount(d.node.id) >= MAX_OPEN_PER_NODE) continue;
      const modelId = await recentCustomerModel(d.node.id);
      await openChallengeCheck({ node: d.node, kind: d.kind, planned: 1, modelId: modelId ?? undefined });
      opened++;
    } catch (err) {
      logger.error({ err, nodeId: d.node.id, kind: d.kind }, "challenge schedule: could not open a check");
    }
  }
  return opened;
}

/** The worker's recent gaps between consecutive customer leases, ms. */
async function recentGaps(nodeId: string): Promise<number[]> {
  const rows = await sql().$queryRaw<{ leased_at: Date }[]>`
    SELECT a.leased_at FROM job_attempts a JOIN jobs j ON j.id = a.job_id
    WHERE a.node_id = ${nodeId}::uuid AND j.purpose <> 'challenge' AND a.leased_at > now() - interval '1 day'
    ORDER BY a.leased_at DESC LIMIT ${GAPS_PER_NODE + 1}`;
  const gaps: number[] = [];
  for (let i = 1; i < rows.length; i++) gaps.push((rows[i - 1] as { leased_at: Date }).leased_at.getTime() - (rows[i] as { leased_at: Date }).leased_at.getTime());
  return gaps.filter((g) => g > 0);
}

/** The model of one of the worker's recent customer jobs, drawn at random: the challenges' model mix is its traffic's. */
async function recentCustomerModel(nodeId: string): Promise<string | null> {
  const rows = await sql().$queryRaw<{ model_id: string }[]>`
    SELECT model_id FROM (
      SELECT j.model_id FROM jobs j WHERE j.node_id = ${nodeId}::uuid AND j.purpose <> 'challenge'
        AND j.state = ANY(ARRAY['assigned', 'running', 'succeeded', 'failed']::"JobState"[]) AND j.created_at > now() - interval '1 day'
      ORDER BY j.created_at DESC LIMIT 100
    ) recent ORDER BY random() LIMIT 1`;
  return rows[0]?.model_id ?? null;
}

async function openCount(nodeId: string): Promise<number> {
  const rows = await sql().$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM checks WHERE subject_node_id = ${nodeId}::uuid
      AND kind IN ('canary', 'standby', 'latency') AND status IN ('waiting', 'queued', 'leased')`;
  return rows[0]?.n ?? 0;
}
