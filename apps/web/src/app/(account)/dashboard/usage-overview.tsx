"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { UsageOverview as Overview } from "~/server/services/usage/get-usage-overview";
import type { UsageWindow } from "~/server/services/usage/usage-window";
import styles from "../account.module.css";
import own from "./overview.module.css";
import { useTRPC } from "./trpc-provider";
import { UsageCharts } from "./usage-charts";
import { ms, percent, plural, WINDOW_BUTTON, WINDOW_LABEL } from "./usage-summary";
import { tokens } from "./workers/format";

/** Jobs finish every few seconds under load; every 10 s keeps the charts current and cheap. */
const REFRESH_MS = 10_000;
const WINDOWS: UsageWindow[] = ["24h", "14d", "30d"];

function csvHref(o: Overview, orgId: string): string {
  const q = new URLSearchParams({ from: o.from, to: o.to, org: orgId });
  return `/api/v1/usage.csv?${q}`;
}

/**
 * The overview's live part: a window selector, the totals, four charts with their summaries
 * and the CSV download. Reads `usage.overview` over tRPC and polls it, so new jobs show up
 * without a reload; `initial` is the server's first answer (24 h), so the page paints with
 * numbers (read at `initialAt`).
 */
export function UsageOverview({ initial, initialAt, orgId }: { initial: Overview | null; initialAt: number; orgId: string }) {
  const trpc = useTRPC();
  const [selected, setSelected] = useState<UsageWindow>(initial?.window ?? "24h");
  const query = useQuery(
    trpc.usage.overview.queryOptions(
      { window: selected },
      {
        refetchInterval: REFRESH_MS,
        placeholderData: keepPreviousData,
        initialData: initial && initial.window === selected ? initial : undefined,
        // The server's time, so the "last at" text is the same in its HTML and on hydration.
        initialDataUpdatedAt: initialAt,
      },
    ),
  );
  const o = query.data;
  const updated = query.dataUpdatedAt ? new Date(query.dataUpdatedAt).toISOString().slice(11, 19) : null;

  return (
    <section aria-labelledby="overview-heading" className={own.overview}>
      <div className={own.head}>
        <h2 id="overview-heading" className={styles.h2}>
          Usage
        </h2>
        <fieldset className={own.windows}>
          <legend className={own.srOnly}>Time window</legend>
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              className={w === selected ? own.windowOn : own.window}
              aria-pressed={w === selected}
              title={`Show ${WINDOW_LABEL[w]}`}
              onClick={() => setSelected(w)}
            >
              {WINDOW_BUTTON[w]}
            </button>
          ))}
        </fieldset>
      </div>
      <div aria-live="polite">
        {query.isError ? (
          <p className={styles.alert}>
            {o ? "Cannot refresh right now: the figures below may be out of date. Retrying every 10 seconds." : "The usage cannot be read right now. Retrying every 10 seconds."}
          </p>
        ) : null}
      </div>
      {!o ? (
        <p className={styles.muted}>{query.isError ? null : "Loading usage…"}</p>
      ) : !o.hasJobs ? (
        <div className={own.empty} data-usage-empty>
          <p style={{ marginTop: 0 }}>
            <strong>No jobs yet.</strong> Run a model in the playground, or submit a job with an API key, and your spend, jobs per {o.bucket}, success rate and time to result
            show here within seconds.
          </p>
          <a className={styles.button} href="/dashboard/playground" style={{ display: "inline-block", textDecoration: "none" }}>
            Try a model in the playground
          </a>
        </div>
      ) : (
        <>
          <ul className={styles.stats} aria-label={`Totals for ${WINDOW_LABEL[o.window]}`}>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Spent</div>
              <div className={styles.statValue} data-stat="spend">
                {tokens(o.totals.spend)} tokens
              </div>
            </li>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Jobs finished</div>
              <div className={styles.statValue} data-stat="finished">
                {o.totals.finished.toLocaleString("en")}
              </div>
            </li>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Success rate</div>
              <div className={styles.statValue} data-stat="success-rate">
                {o.totals.successRate === null ? "—" : percent(o.totals.successRate)}
              </div>
            </li>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Time to result, p95</div>
              <div className={styles.statValue} data-stat="p95">
                {o.totals.p95Ms === null ? "—" : ms(o.totals.p95Ms)}
              </div>
            </li>
          </ul>
          <UsageCharts overview={o} />
        </>
      )}
      <p className={own.foot}>
        {o ? (
          <a href={csvHref(o, orgId)} download>
            Download usage (CSV)
          </a>
        ) : null}
        <span className={styles.muted}>
          {o ? `${plural(o.buckets.length, o.bucket)}, UTC. ` : ""}
          Updates every 10 seconds{updated ? `; last at ${updated} UTC` : ""}.
        </span>
      </p>
    </section>
  );
}
