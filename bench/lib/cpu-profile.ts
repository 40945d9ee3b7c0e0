/**
 * Reads V8 `.cpuprofile` files (node --cpu-prof) into where a process spent its CPU: self
 * time per function and per place (a package, the app's own bundle, Node's internals, the
 * garbage collector), idle time left out. The files themselves open as flame graphs in
 * Chrome DevTools (Performance → Load profile) or https://www.speedscope.app.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample, one per sample. */
  timeDeltas: number[];
}

export interface CpuSummary {
  /** CPU time in the profile, idle excluded, ms. */
  busyMs: number;
  /** Self time by place, ms, largest first. */
  byPlace: { place: string; ms: number }[];
  /** Self time by function, ms, largest first (at most `top`). */
  byFunction: { fn: string; place: string; ms: number }[];
}

/** Where a frame's code lives: `next`, `pg`, `app (bundled)`, `node internals`, `(garbage collector)` … */
export function placeOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith("(") ? functionName : "native";
  if (url.startsWith("node:")) return "node internals";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "node_modules");
  }
  if (url.includes("/.next/")) return "app (bundled)";
  const src = url.match(/\/(apps\/[^/]+|packages\/[^/]+)\//);
  return src ? (src[1] as string) : "other";
}

/** Self time per function and place; samples attributed to their leaf frame, each sample its delta. */
export function summarizeCpuProfile(profile: CpuProfile, top = 15): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const place = new Map<string, number>();
  const fn = new Map<string, { fn: string; place: string; ms: number }>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!frame || frame.functionName === "(idle)") return;
    busyUs += us;
    const p = placeOf(frame);
    place.set(p, (place.get(p) ?? 0) + us / 1000);
    const name = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").pop() ?? ""}:${frame.lineNumber + 1}`;
    const f = fn.get(name) ?? { fn: name, place: p, ms: 0 };
    f.ms += us / 1000;
    fn.set(name, f);
  });
  return {
    busyMs: busyUs / 1000,
    byPlace: [...place].map(([p, ms]) => ({ place: p, ms })).sort((a, b) => b.ms - a.ms),
    byFunction: [...fn.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}
