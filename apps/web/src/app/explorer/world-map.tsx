"use client";

import type { FeatureCollection } from "geojson";
import { memo, useMemo, useState } from "react";
import { ComposableMap, Marker, useMapContext } from "react-simple-maps";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countries from "world-atlas/countries-110m.json";
import type { RegionView } from "~/server/services/market/regions";

// TopoJSON shipped in the package (Natural Earth 1:110m, 105 kB): no tile server.
const TOPOLOGY = countries as unknown as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;

/**
 * Land and borders as two paths, drawn once. react-simple-maps' <Geographies> parses the
 * topology in an effect (so the server renders no land), re-serialises it on every render
 * (a 5 s poll re-renders the map) and makes each of 177 countries a tab stop; projecting
 * with the map's own context here avoids all three.
 */
const Countries = memo(function Countries() {
  const { path } = useMapContext();
  const d = useMemo(() => {
    const all = feature(TOPOLOGY, TOPOLOGY.objects.countries) as FeatureCollection;
    const land: FeatureCollection = { ...all, features: all.features.filter((f) => f.id !== ANTARCTICA) };
    const borders = mesh(TOPOLOGY, TOPOLOGY.objects.countries, (a, b) => a !== b);
    return { land: path(land) ?? "", borders: path(borders) ?? "" };
  }, [path]);
  return (
    <g>
      <path d={d.land} className="fill-line-strong" />
      <path d={d.borders} fill="none" className="stroke-canvas" strokeWidth={0.5} />
    </g>
  );
});
// Antarctica left out (no region there): the inhabited world fills an 800×360 box at this
// scale and centre (d3-geo fitExtent with 8-unit margins gave 147.6 and [0, 6.9]).
const WIDTH = 800;
/** The map shrinks to ~40 % on a phone; markers keep a readable, tappable size. */
const MARKER_BODY = "max-md:[transform:scale(2)]";
const HEIGHT = 360;
const ANTARCTICA = "010";

/** Marker radius in map units: area grows with workers online, capped so a big region does not hide its neighbours. */
export function markerRadius(workersOnline: number): number {
  return Math.min(22, 7 + 4 * Math.sqrt(workersOnline));
}

export function regionLabel(r: Pick<RegionView, "name" | "workersOnline" | "freeSlots">): string {
  return `${r.name}: ${r.workersOnline} ${r.workersOnline === 1 ? "worker" : "workers"} online, ${r.freeSlots} free ${r.freeSlots === 1 ? "slot" : "slots"}`;
}

/** World map with one marker per region that has workers online; hover or focus shows its numbers. */
export function WorldMap({ regions }: { regions: readonly RegionView[] }) {
  const [active, setActive] = useState<string | null>(null);
  const shown = regions.filter((r) => r.workersOnline > 0);
  const activeRegion = shown.find((r) => r.id === active);
  return (
    <div className="relative overflow-hidden rounded-lg border border-line bg-white">
      <ComposableMap
        width={WIDTH}
        height={HEIGHT}
        projection="geoEqualEarth"
        projectionConfig={{ scale: 147, center: [0, 7] }}
        className="block h-auto w-full"
        role="group"
        aria-label={`World map: ${shown.length} ${shown.length === 1 ? "region" : "regions"} with workers online`}
      >
        <Countries />
        {shown.map((r) => (
          <Marker
            key={r.id}
            coordinates={[r.lon, r.lat]}
            className="cursor-pointer outline-none [&:focus-visible_circle]:stroke-ink [&:focus-visible_circle]:stroke-[3]"
            role="img"
            aria-label={regionLabel(r)}
            data-region={r.id}
            tabIndex={0}
            onMouseEnter={() => setActive(r.id)}
            onMouseLeave={() => setActive((a) => (a === r.id ? null : a))}
            onFocus={() => setActive(r.id)}
            onBlur={() => setActive((a) => (a === r.id ? null : a))}
          >
            <title>{regionLabel(r)}</title>
            <g className={MARKER_BODY}>
              <circle r={markerRadius(r.workersOnline)} className="fill-accent/85 stroke-white" strokeWidth={1.5} />
              <text textAnchor="middle" dy="0.35em" fontSize={11} fontWeight={700} className="fill-white">
                {r.workersOnline}
              </text>
            </g>
          </Marker>
        ))}
        {activeRegion ? (
          // The focused marker's own label already says this: screen readers skip the tooltip.
          <Marker coordinates={[activeRegion.lon, activeRegion.lat]} aria-hidden="true" pointerEvents="none">
            <g className={MARKER_BODY}>
              <g transform={`translate(0, ${-markerRadius(activeRegion.workersOnline) - 8})`}>
                <rect x={-110} y={-40} width={220} height={38} rx={6} className="fill-ink" />
                <text textAnchor="middle" y={-24} fontSize={12} fontWeight={700} className="fill-white">
                  {activeRegion.name}
                </text>
                <text textAnchor="middle" y={-9} fontSize={11} className="fill-line">
                  {`${activeRegion.workersOnline} online · ${activeRegion.freeSlots} free slots`}
                </text>
              </g>
            </g>
          </Marker>
        ) : null}
      </ComposableMap>
      {shown.length === 0 ? (
        <p className="absolute inset-x-0 bottom-3 mx-auto w-fit rounded-md border border-line bg-white px-3 py-1.5 text-sm shadow-card">
          No worker is online right now.
        </p>
      ) : null}
    </div>
  );
}
