/**
 * Waiting for a quiet machine before timing. Developer machines and CI here are shared
 * by several builds and test runs that come in bursts: under one, a 640×640 PP-OCRv4
 * detection took 484 ms instead of ~100 ms. Linux only (/proc/stat); elsewhere the
 * machine is taken as quiet.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux this runs on. */
const MS_PER_TICK = 10;

function cpuTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const [, ...fields] = line.trim().split(/\s+/);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

/** Share of all cores' time that other processes used during `fn` (0 = quiet, 1 = saturated). */
export async function othersCpuShare<T>(fn: () => Promise<T>): Promise<{ value: T; share: number }> {
  const a = cpuTicks();
  const mine = process.cpuUsage();
  const value = await fn();
  const b = cpuTicks();
  if (!a || !b || b.total <= a.total) return { value, share: 0 };
  const own = process.cpuUsage(mine);
  const othersMs = (b.busy - a.busy) * MS_PER_TICK - (own.user + own.system) / 1000;
  return { value, share: Math.max(0, othersMs / ((b.total - a.total) * MS_PER_TICK)) };
}

/** Polls until other processes use under `maxShare` of the CPU for 500 ms, or `timeoutMs` passes. */
export async function waitForQuietCpu(opts: { maxShare?: number; timeoutMs?: number } = {}): Promise<boolean> {
  const maxShare = opts.maxShare ?? 0.05;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    const { share } = await othersCpuShare(() => sleep(500));
    if (share < maxShare) return true;
  }
  return false;
}
