"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Alert } from "~/components/ui/alert";
import { EmptyState } from "~/components/ui/empty-state";
import { Muted, SectionTitle } from "~/components/ui/typography";
import type { EmissionPoint } from "~/server/services/rewards/distribute";
import { formatTokens } from "~/server/services/billing/tokens";
import { usePoll } from "./use-poll";

export interface EmissionsResponse {
  emissions: EmissionPoint[];
}

const POLL_MS = 30_000;
export const EMISSIONS_SHOWN = 48;
const AXIS = { fontSize: 12, fill: "#475569" };
/** The usage charts' palette: blue workers, green checkers, slate platform. */
const COLOR = { workers: "#2563eb", checkers: "#15803d", platform: "#475569" };

/** Emission per closed epoch, by role (public: /api/v1/rewards/emissions). */
export function EmissionChart({ initial }: { initial: EmissionsResponse | null }) {
  const { data, error } = usePoll<EmissionsResponse>(`/api/v1/rewards/emissions?limit=${EMISSIONS_SHOWN}`, POLL_MS, initial);
  const list = data ? [...data.emissions].reverse() : [];
  const points = list.map((e) => ({
    label: String(e.epoch),
    // Tokens as floats for the axis only.
    workers: Number(BigInt(e.workers)) / 1e6,
    checkers: Number(BigInt(e.checkers)) / 1e6,
    platform: Number(BigInt(e.platform)) / 1e6,
  }));
  const total = list.reduce((a, e) => a + BigInt(e.granted), 0n);
  const last = list.at(-1);
  const summary =
    list.length === 0
      ? "No epoch has been rewarded yet."
      : `${formatTokens(total)} tokens granted over the last ${list.length} epochs; epoch ${last?.epoch} emitted ${formatTokens(last?.granted ?? "0")} of a scheduled ${formatTokens(last?.scheduled ?? "0")}.`;
  return (
    <section aria-labelledby="emission-heading">
      <SectionTitle id="emission-heading">Emission per epoch</SectionTitle>
      <Muted>
        Each epoch emits a decaying amount of tokens, shared by workers (verified compute and uptime), checkers (checks done) and the
        platform; rewards vest over months.
      </Muted>
      {error ? (
        <Alert tone="warning" role="status" className="mt-2">
          Emission numbers could not be refreshed ({error}). Retrying every 30 s.
        </Alert>
      ) : null}
      {list.length === 0 ? (
        <EmptyState title="No emission yet.">Rewards are granted as each epoch closes.</EmptyState>
      ) : (
        <figure
          className="m-0 mt-3 min-w-0 rounded-lg border border-line bg-white px-3 pt-3 pb-2.5 shadow-card"
          aria-describedby="emission-summary"
          data-chart="emission"
        >
          <div className="h-[180px] w-full min-w-0">
            <ResponsiveContainer width="100%" height={180}>
              <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} title="Emission per epoch, by role" desc={summary}>
                <CartesianGrid stroke="#e2e8f0" vertical={false} />
                <XAxis dataKey="label" tick={AXIS} interval="preserveStartEnd" minTickGap={16} tickLine={false} />
                <YAxis tick={AXIS} width={56} allowDecimals />
                <Tooltip formatter={(v, name) => [`${v} tokens`, name]} labelFormatter={(l) => `Epoch ${l}`} />
                <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
                <Bar dataKey="workers" name="Workers" stackId="e" fill={COLOR.workers} isAnimationActive={false} />
                <Bar dataKey="checkers" name="Checkers" stackId="e" fill={COLOR.checkers} isAnimationActive={false} />
                <Bar dataKey="platform" name="Platform" stackId="e" fill={COLOR.platform} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <figcaption id="emission-summary" className="mt-2 text-[13px] text-ink-soft" data-chart-summary>
            {summary}
          </figcaption>
        </figure>
      )}
    </section>
  );
}
