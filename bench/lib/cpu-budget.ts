import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** What a process is, for the budget: the stack's parts by their command line, else its name. */
function labelOf(pid: string, name: string, self: number): string {
  if (name === "postgres") return "postgres";
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return name;
  }
  if (cmd.includes("web-server") || cmd.includes("next start") || cmd.includes("next-server")) return "web";
  if (cmd.includes("coordinator")) return "coordinator";
  if (cmd.includes("proofgrid-worker")) return "worker";
  if (Number(pid) === self) return "bench client";
  return "other";
}

/** CPU ticks (user + system) of every process now, by `label:pid`. */
function snapshot(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(`${labelOf(pid, name, process.pid)}:${pid}`, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

/**
 * The machine's CPU spent while `run` does `jobs` jobs, per job and by process kind (the web
 * app, the coordinator, the worker, Postgres, this client): where a job's CPU goes on a
 * machine the whole stack shares (Linux /proc; a process started meanwhile counts from 0).
 */
export async function cpuPerJob(
  jobs: number,
  run: () => Promise<void>,
): Promise<{ wallMsPerJob: number; msPerJob: Record<string, number> }> {
  const before = snapshot();
  const t0 = performance.now();
  await run();
  const wallMsPerJob = (performance.now() - t0) / jobs;
  const after = snapshot();
  const ticks = new Map<string, number>();
  for (const [key, v] of after) {
    const label = key.slice(0, key.indexOf(":"));
    ticks.set(label, (ticks.get(label) ?? 0) + Math.max(0, v - (before.get(key) ?? 0)));
  }
  const msPerJob: Record<string, number> = {};
  let total = 0;
  for (const [label, t] of ticks) {
    const ms = (t * 1000) / TICKS_PER_S / jobs;
    total += ms;
    msPerJob[label] = Math.round(ms * 10) / 10;
  }
  msPerJob.total = Math.round(total * 10) / 10;
  return { wallMsPerJob: Math.round(wallMsPerJob * 10) / 10, msPerJob };
}
