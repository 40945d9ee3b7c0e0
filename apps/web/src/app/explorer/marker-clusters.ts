import type { RegionView } from "~/server/services/market/regions";

// Regions close on the map (Frankfurt and Amsterdam are 13 map units apart; two markers are
// 14–44 wide) would hide each other. Pure, so it is tested without a browser.

/** Marker radius in map units: area grows with workers online, capped so a big region does not hide its neighbours. */
export function markerRadius(workersOnline: number): number {
  return Math.min(22, 7 + 4 * Math.sqrt(workersOnline));
}

/**
 * Markers are drawn twice as large on a phone (the map shrinks to ~40 %, markers keep a
 * tappable size): two markers must be this many radii apart to stay clear at both widths.
 */
export const CLEARANCE = 2;

export interface MarkerCluster {
  /** The regions it stands for, most workers first. */
  regions: RegionView[];
  /** Where it is drawn (map units): the workers-weighted centre of its regions. */
  x: number;
  y: number;
  workersOnline: number;
  freeSlots: number;
  r: number;
}

/**
 * Groups regions whose markers would overlap into one marker that counts them all, until no
 * two markers overlap (at CLEARANCE): a merged marker grows, so it is checked again against
 * the rest. At most a few dozen regions: the quadratic passes are nothing.
 */
export function clusterMarkers(points: readonly { region: RegionView; x: number; y: number }[]): MarkerCluster[] {
  const make = (regions: RegionView[], xs: { x: number; y: number; w: number }[]): MarkerCluster => {
    const workersOnline = regions.reduce((s, r) => s + r.workersOnline, 0);
    const w = xs.reduce((s, p) => s + p.w, 0) || 1;
    return {
      regions: [...regions].sort((a, b) => b.workersOnline - a.workersOnline || a.name.localeCompare(b.name)),
      x: xs.reduce((s, p) => s + p.x * p.w, 0) / w,
      y: xs.reduce((s, p) => s + p.y * p.w, 0) / w,
      workersOnline,
      freeSlots: regions.reduce((s, r) => s + r.freeSlots, 0),
      r: markerRadius(workersOnline),
    };
  };
  let clusters = points.map((p) => ({
    c: make([p.region], [{ x: p.x, y: p.y, w: Math.max(1, p.region.workersOnline) }]),
    pts: [{ x: p.x, y: p.y, w: Math.max(1, p.region.workersOnline) }],
  }));
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        const a = clusters[i];
        const b = clusters[j];
        if (!a || !b) continue;
        if (Math.hypot(a.c.x - b.c.x, a.c.y - b.c.y) < CLEARANCE * (a.c.r + b.c.r)) {
          const pts = [...a.pts, ...b.pts];
          const joined = { c: make([...a.c.regions, ...b.c.regions], pts), pts };
          clusters = [...clusters.slice(0, i), joined, ...clusters.slice(i + 1, j), ...clusters.slice(j + 1)];
          merged = true;
          break outer;
        }
      }
    }
  }
  return clusters.map((k) => k.c).sort((a, b) => b.workersOnline - a.workersOnline);
}

/** What a screen reader hears for a marker (and the test reads): one region, or each region of a group. */
export function regionLabel(r: Pick<RegionView, "name" | "workersOnline" | "freeSlots">): string {
  return `${r.name}: ${r.workersOnline} ${r.workersOnline === 1 ? "worker" : "workers"} online, ${r.freeSlots} free ${r.freeSlots === 1 ? "slot" : "slots"}`;
}

export function clusterLabel(c: MarkerCluster): string {
  const [only] = c.regions;
  if (c.regions.length === 1 && only) return regionLabel(only);
  return `${c.regions.length} regions close together, ${c.workersOnline} workers online: ${c.regions.map(regionLabel).join("; ")}`;
}

/** The short name written beside a marker: the region, or the largest one and how many more. */
export function clusterName(c: MarkerCluster): string {
  const [first] = c.regions;
  return c.regions.length === 1 ? (first?.name ?? "") : `${first?.name ?? ""} +${c.regions.length - 1}`;
}
