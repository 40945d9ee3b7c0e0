import type { ClaimedJob } from "@proofgrid/db/jobs";
import type { NodeIdentity } from "./authenticate-node.ts";

/**
 * A lease long-poll of this process that found nothing to claim and waits. The dispatcher,
 * when it leads in this process, leases a job it places on the node straight to it in the
 * statement that places it (issue 15): no offer to wake the long-poll, no lease gate read and
 * no claim statement after it. The dispatcher's round read the node's standing (stake,
 * exposure, dispute, quarantine) when it placed, as the gate would have.
 */
export interface IdleLessee {
  readonly node: NodeIdentity;
  /** The lease gate's answer when the long-poll last looked: only the challenges pinned to the node. */
  readonly pinnedOnly: boolean;
  /** The dispatcher's answer, once it took the lessee: the job leased to it, or null (none after all). Once. */
  hand(job: ClaimedJob | null): void;
}

/** A long-poll's stay among the idle. */
export interface IdleWait {
  /** Settles when the dispatcher hands it a job (or null); never, if it is not taken. */
  readonly handed: Promise<ClaimedJob | null>;
  /** Leaves the idle; false when the dispatcher took it first (its answer then comes by `handed`). Idempotent. */
  leave(): boolean;
}

interface Entry {
  readonly lessee: IdleLessee;
  taken: boolean;
  /** The wait's end (epoch ms) and its request's hang-up: a wait about to end is not taken. */
  readonly until: number;
  readonly signal: AbortSignal | undefined;
}

/** A wait that ends sooner than this is left to end: the statement would answer after it. */
const MIN_TAKE_LEFT_MS = 50;

// Bound: one entry per open lease long-poll (each leaves when its wait ends), so their number
// is that of concurrent requests, which the server bounds. On globalThis: the dispatcher and
// the node routes may be loaded twice in one process (Next.js's bundle and the web server's own).
const globalForIdle = globalThis as typeof globalThis & { __proofgridIdleLessees?: Map<string, Set<Entry>> };
globalForIdle.__proofgridIdleLessees ??= new Map();
const idle: Map<string, Set<Entry>> = globalForIdle.__proofgridIdleLessees;

function remove(nodeId: string, entry: Entry): void {
  const set = idle.get(nodeId);
  set?.delete(entry);
  if (set?.size === 0) idle.delete(nodeId);
}

/** Joins the idle until `until` (epoch ms) at most; `leave()` when the wait ends, whatever ended it. */
export function waitIdle(node: NodeIdentity, pinnedOnly: boolean, wait: { until: number; signal?: AbortSignal }): IdleWait {
  let resolve!: (job: ClaimedJob | null) => void;
  const handed = new Promise<ClaimedJob | null>((r) => {
    resolve = r;
  });
  const entry: Entry = { lessee: { node, pinnedOnly, hand: (job) => resolve(job) }, taken: false, until: wait.until, signal: wait.signal };
  const set = idle.get(node.id) ?? new Set<Entry>();
  idle.set(node.id, set);
  set.add(entry);
  return {
    handed,
    leave: () => {
      if (entry.taken) return false;
      remove(node.id, entry);
      return true;
    },
  };
}

/**
 * Takes the node's longest-waiting idle long-poll that `fits` (the job's claim conditions), if
 * any: it is no longer idle, and the caller must `hand` it an answer, a job or null.
 */
export function takeIdleLessee(nodeId: string, fits: (l: IdleLessee) => boolean): IdleLessee | undefined {
  const set = idle.get(nodeId);
  if (!set) return undefined;
  const now = Date.now();
  for (const entry of set) {
    // Hung up, or its wait ends before the statement would answer: its request is (nearly)
    // gone, and a job leased to it would only be handed back.
    if (entry.signal?.aborted || entry.until - now < MIN_TAKE_LEFT_MS) continue;
    if (!fits(entry.lessee)) continue;
    entry.taken = true;
    remove(nodeId, entry);
    return entry.lessee;
  }
  return undefined;
}

/** Idle long-polls now (tests, diagnostics). */
export function idleLesseeCount(): number {
  let n = 0;
  for (const set of idle.values()) n += set.size;
  return n;
}
