"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { RewardsSeriesPoint } from "~/server/services/rewards/claims";
import { formatTokens } from "~/server/services/billing/tokens";

const HEIGHT = 240;
const AXIS = { fontSize: 12, fill: "#475569" };
/** Tailwind's slate/blue/green 600–700 (as the usage charts): distinct, and dark enough on white. */
const COLOR = { granted: "#475569", vested: "#2563eb", claimed: "#15803d" };

const day = (d: Date | string) => new Date(d).toISOString().slice(0, 10);

/** Summary in words (the figure's description), for screen readers and for everyone. */
export function rewardsSummary(series: readonly RewardsSeriesPoint[], asOf: Date | string): string {
  const last = series.at(-1);
  if (!last) return "No rewards yet.";
  const now = new Date(asOf).getTime();
  const atNow = [...series].reverse().find((p) => new Date(p.at).getTime() <= now) ?? series[0];
  return (
    `From ${day(series[0]?.at ?? last.at)} to ${day(last.at)}: ${formatTokens(atNow?.granted ?? "0")} tokens granted by ${day(asOf)}, ` +
    `${formatTokens(atNow?.vested ?? "0")} vested and ${formatTokens(atNow?.claimed ?? "0")} claimed; ` +
    `${formatTokens(last.vested)} vested by ${day(last.at)} if nothing more is granted.`
  );
}

/** Cumulative rewards over time: granted, vested (then projected to the end of vesting) and claimed. */
export function RewardsChart({ series, asOf }: { series: RewardsSeriesPoint[]; asOf: string }) {
  const now = new Date(asOf).getTime();
  const data = series.map((p) => {
    const t = new Date(p.at).getTime();
    return {
      label: day(p.at),
      granted: Number(BigInt(p.granted)) / 1e6,
      // Tokens as floats for the axis only; the page prints exact amounts.
      vested: t <= now ? Number(BigInt(p.vested)) / 1e6 : null,
      projected: t >= now ? Number(BigInt(p.vested)) / 1e6 : null,
      claimed: t <= now ? Number(BigInt(p.claimed)) / 1e6 : null,
    };
  });
  // The projection starts where the vested line ends.
  const lastPast = data.findLastIndex((d) => d.vested !== null);
  const first = data[lastPast];
  if (lastPast >= 0 && first && first.projected === null) first.projected = first.vested;
  const summary = rewardsSummary(series, asOf);
  return (
    <figure
      className="m-0 min-w-0 rounded-lg border border-line bg-white px-3 pt-3 pb-2.5 shadow-card"
      aria-labelledby="rewards-chart-title"
      aria-describedby="rewards-chart-summary"
      data-chart="rewards"
    >
      <h3 id="rewards-chart-title" className="mt-0 mb-2 text-[15px] font-semibold">
        Earnings and vesting over time (tokens)
      </h3>
      <div className="h-[240px] w-full min-w-0">
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <LineChart
            data={data}
            margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
            title="Rewards granted, vested and claimed"
            desc={summary}
          >
            <CartesianGrid stroke="#e2e8f0" vertical={false} />
            <XAxis dataKey="label" tick={AXIS} interval="preserveStartEnd" minTickGap={24} tickLine={false} />
            <YAxis tick={AXIS} width={64} allowDecimals />
            <Tooltip formatter={(v, name) => [`${v} tokens`, name]} />
            <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
            <Line
              type="stepAfter"
              dataKey="granted"
              name="Granted"
              stroke={COLOR.granted}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="monotone"
              dataKey="vested"
              name="Vested"
              stroke={COLOR.vested}
              strokeWidth={2}
              dot={false}
              connectNulls={false}
              isAnimationActive={false}
            />
            <Line
              type="monotone"
              dataKey="projected"
              name="Vesting ahead"
              stroke={COLOR.vested}
              strokeWidth={2}
              strokeDasharray="5 3"
              dot={false}
              connectNulls={false}
              isAnimationActive={false}
            />
            <Line
              type="stepAfter"
              dataKey="claimed"
              name="Claimed"
              stroke={COLOR.claimed}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption id="rewards-chart-summary" className="mt-2 text-[13px] text-ink-soft" data-chart-summary>
        {summary}
      </figcaption>
    </figure>
  );
}
