"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { UsageOverview as Overview } from "~/server/services/usage/get-usage-overview";
import type { UsageWindow } from "~/server/services/usage/usage-window";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { cn } from "~/components/ui/cn";
import { EmptyState } from "~/components/ui/empty-state";
import { Stat, StatList } from "~/components/ui/stat";
import { Muted, SectionTitle } from "~/components/ui/typography";
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
    <section aria-labelledby="overview-heading" className="mt-2">
      <div className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2">
        <SectionTitle id="overview-heading">Usage</SectionTitle>
        <fieldset className="m-0 inline-flex min-w-0 overflow-hidden rounded-md border border-line-strong p-0">
          <legend className="sr-only">Time window</legend>
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              className={cn(
                "cursor-pointer border-0 px-3 py-1.5 text-sm focus-visible:outline-offset-[-2px] [&+&]:border-l [&+&]:border-line-strong",
                w === selected ? "bg-accent font-semibold text-white" : "bg-white text-ink hover:bg-canvas",
              )}
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
          <Alert>
            {o
              ? "Cannot refresh right now: the figures below may be out of date. Retrying every 10 seconds."
              : "The usage cannot be read right now. Retrying every 10 seconds."}
          </Alert>
        ) : null}
      </div>
      {!o ? (
        <Muted>{query.isError ? null : "Loading usage…"}</Muted>
      ) : !o.hasJobs ? (
        <EmptyState
          className="my-4"
          data-usage-empty
          title="No jobs yet."
          action={
            <Button asChild>
              <a href="/dashboard/playground">Try a model in the playground</a>
            </Button>
          }
        >
          Run a model in the playground, or submit a job with an API key, and your spend, jobs per {o.bucket}, success rate and time to
          result show here within seconds.
        </EmptyState>
      ) : (
        <>
          <StatList aria-label={`Totals for ${WINDOW_LABEL[o.window]}`}>
            <Stat label="Spent" value={`${tokens(o.totals.spend)} tokens`} data-stat="spend" />
            <Stat label="Jobs finished" value={o.totals.finished.toLocaleString("en")} data-stat="finished" />
            <Stat
              label="Success rate"
              value={o.totals.successRate === null ? "—" : percent(o.totals.successRate)}
              data-stat="success-rate"
            />
            <Stat label="Time to result, p95" value={o.totals.p95Ms === null ? "—" : ms(o.totals.p95Ms)} data-stat="p95" />
          </StatList>
          <UsageCharts overview={o} />
        </>
      )}
      <p className="flex flex-wrap items-baseline gap-x-4 gap-y-1 text-sm">
        {o ? (
          <a href={csvHref(o, orgId)} download>
            Download usage (CSV)
          </a>
        ) : null}
        <span className="text-muted">
          {o ? `${plural(o.buckets.length, o.bucket)}, UTC. ` : ""}
          Updates every 10 seconds{updated ? `; last at ${updated} UTC` : ""}.
        </span>
      </p>
    </section>
  );
}
