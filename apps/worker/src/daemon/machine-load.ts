import { cpus } from "node:os";

/**
 * The share of this machine's CPU that other processes used since the previous call (0..1):
 * all cores' busy time (os.cpus) minus this process's own (process.cpuUsage, which counts
 * its inference threads too), over wall time × cores. The worker sends it with each
 * heartbeat so the platform times capability checks only when the machine is otherwise idle
 * (issue 12: `npm start` credited an honest worker 38 % of its claim because its check ran
 * while the checker benchmarked on the same two cores). A worker that lies here can only
 * delay its own check (the platform runs it anyway after a bounded wait), never pass one.
 */
export function machineLoadSampler(): () => number {
  let last = snapshot();
  return () => {
    const now = snapshot();
    const wallMs = now.at - last.at;
    const cores = Math.max(1, now.cores);
    const othersMs = now.machineBusyMs - last.machineBusyMs - (now.ownMs - last.ownMs);
    last = now;
    if (wallMs <= 0) return 0;
    return Math.min(1, Math.max(0, othersMs / (wallMs * cores)));
  };
}

function snapshot() {
  const all = cpus();
  let busy = 0;
  for (const c of all) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  const own = process.cpuUsage();
  return { at: performance.now(), cores: all.length, machineBusyMs: busy, ownMs: (own.user + own.system) / 1000 };
}
