"use client";

import type { RegionView } from "~/server/services/market/regions";
import type { LiveNetwork } from "~/server/services/network/get-live-network";
import styles from "./explorer.module.css";
import { formatAge, formatDuration, formatInt, formatUtcTime } from "./format";
import { usePoll } from "./use-poll";
import { WorldMap } from "./world-map";

/** Live numbers change with every heartbeat; 5 s keeps them fresh at one small request per viewer. */
const LIVE_POLL_MS = 5_000;

function Stat({ label, value, note }: { label: string; value: string | null; note?: string }) {
  return (
    <li className={styles.stat}>
      <div className={styles.statLabel}>{label}</div>
      <div className={styles.statValue} data-stat={label}>
        {value ?? (
          <>
            <span className={styles.skeleton} />
            <span className={styles.srOnly}>loading</span>
          </>
        )}
      </div>
      {note ? <div className={styles.statNote}>{note}</div> : null}
    </li>
  );
}

function RegionsTable({ regions }: { regions: readonly RegionView[] }) {
  const shown = regions.filter((r) => r.workersOnline > 0).sort((a, b) => b.workersOnline - a.workersOnline);
  if (shown.length === 0)
    return <p className={styles.muted}>No region has a worker online. Workers appear here within seconds of starting.</p>;
  return (
    <table className={styles.table}>
      <caption className={styles.srOnly}>Regions with workers online</caption>
      <thead>
        <tr>
          <th scope="col">Region</th>
          <th scope="col" className={styles.num}>
            Workers online
          </th>
          <th scope="col" className={styles.num}>
            Free slots
          </th>
        </tr>
      </thead>
      <tbody>
        {shown.map((r) => (
          <tr key={r.id}>
            <th scope="row">{r.name}</th>
            <td className={styles.num}>{r.workersOnline}</td>
            <td className={styles.num}>{r.freeSlots}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RecentJobs({ live }: { live: LiveNetwork }) {
  const names = new Map(live.regions.map((r) => [r.id, r.name]));
  if (live.recentJobs.length === 0) return <p className={styles.muted}>No job has run in the last hour.</p>;
  return (
    <table className={styles.table}>
      <caption className={styles.srOnly}>Latest jobs, anonymised</caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Region</th>
          <th scope="col">State</th>
          <th scope="col" className={styles.num}>
            Duration
          </th>
          <th scope="col" className={`${styles.num} ${styles.hideNarrow}`}>
            Submitted
          </th>
        </tr>
      </thead>
      <tbody>
        {live.recentJobs.map((j, i) => (
          // No ids leave the server: position and time are the key.
          <tr key={`${j.createdAt}-${i}`}>
            <td className={styles.model}>{j.model}</td>
            <td>{j.region === null ? "—" : (names.get(j.region) ?? j.region)}</td>
            <td>
              <span className={`${styles.badge} ${styles[j.state] ?? ""}`}>{j.state}</span>
            </td>
            <td className={styles.num}>{formatDuration(j.durationMs)}</td>
            <td className={`${styles.num} ${styles.hideNarrow}`}>{formatAge(j.createdAt, live.at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The explorer's live half: counts, the map and recent jobs, refreshed every 5 s without a reload. */
export function LiveNetworkView({ initial }: { initial: LiveNetwork | null }) {
  const { data: live, error } = usePoll<LiveNetwork>("/api/v1/network/live", LIVE_POLL_MS, initial);
  return (
    <>
      <section aria-labelledby="live-heading">
        <h2 id="live-heading" className={styles.h2}>
          Live network
        </h2>
        <p className={styles.muted} aria-busy={live === null}>
          {live ? `Updated ${formatUtcTime(live.at)} · refreshes every 5 s` : "Loading live numbers…"}
        </p>
        {error ? (
          <output className={styles.error}>Live updates paused ({error}); the numbers below may be stale. Retrying every 5 s.</output>
        ) : null}
        <ul className={styles.stats} aria-label="Live counts">
          <Stat label="Nodes online" value={live ? formatInt(live.nodesOnline) : null} />
          <Stat label="Jobs per minute" value={live ? live.jobsPerMinute.toFixed(1) : null} note="finished, last 5 min" />
          <Stat
            label="CU/h available"
            value={live ? formatInt(live.cuPerHourAvailable) : null}
            note={live ? `of ${formatInt(live.cuPerHourOnline)} CU/h online` : undefined}
          />
          <Stat label="Jobs queued" value={live ? formatInt(live.jobsQueued) : null} />
        </ul>
      </section>
      <section aria-labelledby="map-heading">
        <h2 id="map-heading" className={styles.h2}>
          Nodes by region
        </h2>
        {live ? <WorldMap regions={live.regions} /> : <p className={styles.muted}>Loading the map…</p>}
      </section>
      <div className={styles.grid}>
        <section aria-labelledby="regions-heading">
          <h2 id="regions-heading" className={styles.h2}>
            Regions
          </h2>
          {live ? <RegionsTable regions={live.regions} /> : <p className={styles.muted}>Loading…</p>}
        </section>
        <section aria-labelledby="jobs-heading">
          <h2 id="jobs-heading" className={styles.h2}>
            Recent jobs
          </h2>
          <p className={styles.muted}>Model, region, state and run time only: no customer or provider is shown.</p>
          {live ? <RecentJobs live={live} /> : <p className={styles.muted}>Loading…</p>}
        </section>
      </div>
    </>
  );
}
