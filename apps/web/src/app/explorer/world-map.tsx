"use client";

import type { FeatureCollection } from "geojson";
import { memo, useMemo, useState } from "react";
import { ComposableMap, Marker, useMapContext } from "react-simple-maps";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countries from "world-atlas/countries-110m.json";
import type { RegionView } from "~/server/services/market/regions";
import { clusterLabel, clusterMarkers, clusterName, type MarkerCluster } from "./marker-clusters";

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

/**
 * One marker per region with workers online, or per group of regions that would overlap
 * (clusterMarkers): each with its count, a short name beside it, and its numbers on hover or
 * focus. Drawn in the map's own projection (from its context).
 */
function Markers({
  regions,
  active,
  setActive,
}: {
  regions: readonly RegionView[];
  active: string | null;
  setActive: (f: (a: string | null) => string | null) => void;
}) {
  const { projection } = useMapContext();
  const clusters = useMemo(
    () =>
      clusterMarkers(
        regions.flatMap((region) => {
          const p = projection([region.lon, region.lat]);
          return p ? [{ region, x: p[0], y: p[1] }] : [];
        }),
      ),
    [regions, projection],
  );
  const key = (c: MarkerCluster) => c.regions.map((r) => r.id).join("+");
  // Markers take longitude and latitude: a group's centre, found in map units, goes back through the projection.
  const at = (c: MarkerCluster): [number, number] => {
    const only = c.regions.length === 1 ? c.regions[0] : undefined;
    return only ? [only.lon, only.lat] : (projection.invert?.([c.x, c.y]) ?? [c.regions[0]?.lon ?? 0, c.regions[0]?.lat ?? 0]);
  };
  const activeCluster = clusters.find((c) => key(c) === active);
  return (
    <>
      {clusters.map((c) => {
        const k = key(c);
        const single = c.regions.length === 1;
        return (
          <Marker
            key={k}
            coordinates={at(c)}
            className="cursor-pointer outline-none [&:focus-visible_circle]:stroke-ink [&:focus-visible_circle]:stroke-[3]"
            role="img"
            aria-label={clusterLabel(c)}
            data-region={single ? c.regions[0]?.id : undefined}
            data-regions={c.regions.map((r) => r.id).join(" ")}
            tabIndex={0}
            onMouseEnter={() => setActive(() => k)}
            onMouseLeave={() => setActive((a) => (a === k ? null : a))}
            onFocus={() => setActive(() => k)}
            onBlur={() => setActive((a) => (a === k ? null : a))}
          >
            <title>{clusterLabel(c)}</title>
            <g className={MARKER_BODY}>
              <circle
                r={c.r}
                className={single ? "fill-accent/85 stroke-white" : "fill-accent-ink/90 stroke-white"}
                strokeWidth={single ? 1.5 : 2.5}
              />
              <text textAnchor="middle" dy="0.35em" fontSize={11} fontWeight={700} className="fill-white">
                {c.workersOnline}
              </text>
              {/* The name under the marker: which region this is without hovering (the marker's label says it to screen readers). */}
              <text
                textAnchor="middle"
                y={c.r + 11}
                fontSize={10}
                fontWeight={600}
                className="fill-ink stroke-white"
                strokeWidth={3}
                paintOrder="stroke"
              >
                {clusterName(c)}
              </text>
            </g>
          </Marker>
        );
      })}
      {activeCluster ? (
        // The focused marker's own label already says this: screen readers skip the tooltip.
        <Marker coordinates={at(activeCluster)} aria-hidden="true" pointerEvents="none">
          <g className={MARKER_BODY}>
            <g transform={`translate(0, ${-activeCluster.r - 8})`}>
              {(() => {
                const lines = activeCluster.regions.length === 1 ? [] : activeCluster.regions.slice(0, TOOLTIP_MAX_REGIONS);
                const h = 38 + lines.length * 14;
                return (
                  <>
                    <rect x={-110} y={-h - 2} width={220} height={h} rx={6} className="fill-ink" />
                    <text textAnchor="middle" y={-h + 14} fontSize={12} fontWeight={700} className="fill-white">
                      {activeCluster.regions.length === 1 ? activeCluster.regions[0]?.name : `${activeCluster.regions.length} regions`}
                    </text>
                    <text textAnchor="middle" y={-h + 29} fontSize={11} className="fill-line">
                      {`${activeCluster.workersOnline} online · ${activeCluster.freeSlots} free slots`}
                    </text>
                    {lines.map((r, i) => (
                      <text key={r.id} textAnchor="middle" y={-h + 43 + i * 14} fontSize={11} className="fill-line">
                        {`${r.name}: ${r.workersOnline} online`}
                      </text>
                    ))}
                  </>
                );
              })()}
            </g>
          </g>
        </Marker>
      ) : null}
    </>
  );
}

/** Regions listed in a group's tooltip (the marker's label names them all). */
const TOOLTIP_MAX_REGIONS = 6;

/** World map with one marker per region (or group of close regions) that has workers online; hover or focus shows its numbers. */
export function WorldMap({ regions }: { regions: readonly RegionView[] }) {
  const [active, setActive] = useState<string | null>(null);
  const shown = useMemo(() => regions.filter((r) => r.workersOnline > 0), [regions]);
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
        <Markers regions={shown} active={active} setActive={setActive} />
      </ComposableMap>
      {shown.length === 0 ? (
        <p className="absolute inset-x-0 bottom-3 mx-auto w-fit rounded-md border border-line bg-white px-3 py-1.5 text-sm shadow-card">
          No worker is online right now.
        </p>
      ) : null}
    </div>
  );
}
