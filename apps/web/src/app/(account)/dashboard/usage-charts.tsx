"use client";

import type { ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { UsageOverview } from "~/server/services/usage/get-usage-overview";
import { bucketLabel, jobsSummary, latencySummary, spendSummary, successSummary } from "./usage-summary";

const HEIGHT = 200;
const AXIS = { fontSize: 12, fill: "#475569" };
/** Tailwind's slate/blue/green/red 600–700: distinct, and dark enough on white. */
const COLOR = { spend: "#2563eb", ok: "#15803d", failed: "#b91c1c", p50: "#2563eb", p95: "#9333ea" };

interface Point {
  label: string;
  spend: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  p50: number | null;
  p95: number | null;
}

function points(o: UsageOverview): Point[] {
  return o.buckets.map((b) => ({
    label: bucketLabel(b.start, o.bucket),
    // Tokens as a float for the axis only; the summaries print exact base units.
    spend: Number(BigInt(b.spend)) / 1e6,
    succeeded: b.succeeded,
    failed: b.failed,
    successRate: b.successRate === null ? null : Math.round(b.successRate * 1000) / 10,
    p50: b.p50Ms,
    p95: b.p95Ms,
  }));
}

/**
 * One chart: a heading that names it, the chart, and a one-sentence summary that says what
 * it shows in words (the figure's description), for screen readers and for everyone.
 */
function ChartFigure(props: { id: string; title: string; summary: string; children: ReactNode }) {
  return (
    <figure
      className="m-0 min-w-0 rounded-lg border border-line bg-white px-3 pt-3 pb-2.5 shadow-card"
      aria-labelledby={`${props.id}-title`}
      aria-describedby={`${props.id}-summary`}
      data-chart={props.id}
    >
      <h3 id={`${props.id}-title`} className="mt-0 mb-2 text-[15px] font-semibold">
        {props.title}
      </h3>
      <div className="h-[200px] w-full min-w-0">
        <ResponsiveContainer width="100%" height={HEIGHT}>
          {props.children}
        </ResponsiveContainer>
      </div>
      <figcaption id={`${props.id}-summary`} className="mt-2 text-[13px] text-ink-soft" data-chart-summary>
        {props.summary}
      </figcaption>
    </figure>
  );
}

const common = { margin: { top: 8, right: 8, bottom: 0, left: 0 } };

export function UsageCharts({ overview }: { overview: UsageOverview }) {
  const data = points(overview);
  const every = overview.bucket === "hour" ? 5 : overview.buckets.length > 14 ? 6 : 2;
  const x = <XAxis dataKey="label" tick={AXIS} interval={every} tickLine={false} />;
  const unit = overview.bucket;
  const spend = spendSummary(overview);
  const jobs = jobsSummary(overview);
  const success = successSummary(overview);
  const latency = latencySummary(overview);
  return (
    <div className="my-4 grid grid-cols-[repeat(auto-fit,minmax(min(100%,440px),1fr))] gap-4">
      <ChartFigure id="spend" title={`Spend per ${unit} (tokens)`} summary={spend}>
        <BarChart data={data} {...common} title={`Spend per ${unit}`} desc={spend}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          {x}
          <YAxis tick={AXIS} width={56} allowDecimals />
          <Tooltip formatter={(v) => [`${v} tokens`, "Spend"]} />
          <Bar dataKey="spend" name="Spend" fill={COLOR.spend} isAnimationActive={false} />
        </BarChart>
      </ChartFigure>
      <ChartFigure id="jobs" title={`Jobs per ${unit}`} summary={jobs}>
        <BarChart data={data} {...common} title={`Jobs per ${unit}`} desc={jobs}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          {x}
          <YAxis tick={AXIS} width={40} allowDecimals={false} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
          <Bar dataKey="succeeded" name="Succeeded" stackId="jobs" fill={COLOR.ok} isAnimationActive={false} />
          <Bar dataKey="failed" name="Failed" stackId="jobs" fill={COLOR.failed} isAnimationActive={false} />
        </BarChart>
      </ChartFigure>
      <ChartFigure id="success" title="Success rate (%)" summary={success}>
        <LineChart data={data} {...common} title="Success rate" desc={success}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          {x}
          <YAxis tick={AXIS} width={40} domain={[0, 100]} />
          <Tooltip formatter={(v) => [`${v} %`, "Success rate"]} />
          <Line
            type="monotone"
            dataKey="successRate"
            name="Success rate"
            stroke={COLOR.ok}
            strokeWidth={2}
            dot={{ r: 2 }}
            connectNulls
            isAnimationActive={false}
          />
        </LineChart>
      </ChartFigure>
      <ChartFigure id="latency" title="Time to result (ms)" summary={latency}>
        <LineChart data={data} {...common} title="Time to result, p50 and p95" desc={latency}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          {x}
          <YAxis tick={AXIS} width={56} />
          <Tooltip formatter={(v, name) => [`${v} ms`, name]} />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
          <Line
            type="monotone"
            dataKey="p50"
            name="p50"
            stroke={COLOR.p50}
            strokeWidth={2}
            dot={{ r: 2 }}
            connectNulls
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="p95"
            name="p95"
            stroke={COLOR.p95}
            strokeWidth={2}
            strokeDasharray="5 3"
            dot={{ r: 2 }}
            connectNulls
            isAnimationActive={false}
          />
        </LineChart>
      </ChartFigure>
    </div>
  );
}
