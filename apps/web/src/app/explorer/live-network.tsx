"use client";

import type { RegionView } from "~/server/services/market/regions";
import type { LiveNetwork } from "~/server/services/network/get-live-network";
import { Alert } from "~/components/ui/alert";
import { EmptyState } from "~/components/ui/empty-state";
import { Skeleton, SkeletonRows } from "~/components/ui/skeleton";
import { Stat, StatList } from "~/components/ui/stat";
import { DataTable } from "~/components/ui/data-table";
import { Muted, SectionTitle } from "~/components/ui/typography";
import { formatDelay, formatDuration, formatInt, formatUtcTime } from "./format";
import { usePoll } from "./use-poll";
import { WorldMap } from "./world-map";

/** Live numbers change with every heartbeat; 5 s keeps them fresh at one small request per viewer. */
const LIVE_POLL_MS = 5_000;

function RegionsTable({ regions }: { regions: readonly RegionView[] }) {
  const shown = regions.filter((r) => r.workersOnline > 0).sort((a, b) => b.workersOnline - a.workersOnline);
  if (shown.length === 0)
    return <EmptyState title="No region has a worker online.">Workers appear here within seconds of starting.</EmptyState>;
  return (
    <DataTable
      caption="Regions with workers online"
      rows={shown}
      rowKey={(r) => r.id}
      columns={[
        { id: "region", header: "Region", rowHeader: true, cell: (r) => r.name },
        { id: "workers-online", header: "Workers online", align: "right", cell: (r) => r.workersOnline },
        { id: "free-slots", header: "Free slots", align: "right", cell: (r) => r.freeSlots },
      ]}
    />
  );
}

function RecentActivity({ live }: { live: LiveNetwork }) {
  const names = new Map(live.regions.map((r) => [r.id, r.name]));
  if (live.recentActivity.length === 0) return <EmptyState title="No job finished in the last hour." />;
  return (
    <DataTable
      className="max-[26rem]:[&_:is(th,td)]:px-1.5"
      caption="Jobs finished per minute, model and region"
      rows={live.recentActivity}
      rowKey={(a) => `${a.bucket}-${a.model}-${a.region}`}
      columns={[
        { id: "minute", header: "Minute", cell: (a) => formatUtcTime(a.bucket).slice(0, 5) },
        { id: "model", header: "Model", className: "[overflow-wrap:anywhere]", cell: (a) => a.model },
        { id: "region", header: "Region", cell: (a) => names.get(a.region) ?? a.region },
        {
          id: "jobs",
          header: "Jobs",
          align: "right",
          cell: (a) => (
            <>
              {formatInt(a.jobs)}
              {a.succeeded < a.jobs ? <span className="text-muted"> ({formatInt(a.jobs - a.succeeded)} failed)</span> : null}
            </>
          ),
        },
        {
          id: "median-run",
          header: "Median run",
          align: "right",
          headerClassName: "max-md:hidden",
          className: "max-md:hidden",
          cell: (a) => formatDuration(a.medianDurationMs),
        },
      ]}
    />
  );
}

/** The explorer's live half: counts, the map and recent jobs, refreshed every 5 s without a reload. */
export function LiveNetworkView({ initial }: { initial: LiveNetwork | null }) {
  const { data: live, error } = usePoll<LiveNetwork>("/api/v1/network/live", LIVE_POLL_MS, initial);
  return (
    <>
      <section aria-labelledby="live-heading">
        <SectionTitle id="live-heading">Live network</SectionTitle>
        <Muted aria-busy={live === null} className="flex items-center gap-2">
          {live ? <span aria-hidden="true" className="size-2 motion-safe:animate-pulse rounded-full bg-success" /> : null}
          {live ? `Updated ${formatUtcTime(live.at)} · refreshes every 5 s` : "Loading live numbers…"}
        </Muted>
        {error ? (
          <Alert tone="warning" role="status" className="mt-2">
            Live updates paused ({error}); the numbers below may be stale. Retrying every 5 s.
          </Alert>
        ) : null}
        <StatList aria-label="Live counts">
          <Stat label="Nodes online" value={live ? formatInt(live.nodesOnline) : null} data-stat="Nodes online" />
          <Stat
            label="Jobs per minute"
            value={live ? live.jobsPerMinute.toFixed(1) : null}
            note={live ? `finished, 5 min to ${formatDelay(live.delayMs)} ago` : "finished"}
            data-stat="Jobs per minute"
          />
          <Stat
            label="CU/h available"
            value={live ? formatInt(live.cuPerHourAvailable) : null}
            note={live ? `of ${formatInt(live.cuPerHourOnline)} CU/h online, ${formatDelay(live.delayMs)} ago` : undefined}
            data-stat="CU/h available"
          />
          <Stat
            label="Jobs queued"
            value={live ? formatInt(live.jobsQueued) : null}
            note={live ? `${formatDelay(live.delayMs)} ago` : undefined}
            data-stat="Jobs queued"
          />
        </StatList>
      </section>
      <section aria-labelledby="map-heading">
        <SectionTitle id="map-heading">Nodes by region</SectionTitle>
        {live ? (
          <WorldMap regions={live.regions} />
        ) : (
          <div aria-busy="true">
            <Muted>Loading the map…</Muted>
            <Skeleton className="mt-2 aspect-[20/9] h-auto w-full rounded-lg" />
          </div>
        )}
      </section>
      <div className="grid gap-x-6 md:grid-cols-2 [&>*]:min-w-0">
        <section aria-labelledby="regions-heading">
          <SectionTitle id="regions-heading">Regions</SectionTitle>
          {live ? <RegionsTable regions={live.regions} /> : <SkeletonRows label="Loading…" />}
        </section>
        <section aria-labelledby="jobs-heading">
          <SectionTitle id="jobs-heading">Recent activity</SectionTitle>
          <Muted className="mb-2">
            Jobs finished per minute, model and region{live ? `, shown ${formatDelay(live.delayMs)} after the minute ends` : ""}: no single
            job, customer or provider is shown.
          </Muted>
          {live ? <RecentActivity live={live} /> : <SkeletonRows label="Loading…" />}
        </section>
      </div>
    </>
  );
}
