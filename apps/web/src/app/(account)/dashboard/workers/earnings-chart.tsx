import { formatTokens } from "~/server/services/billing/get-balance";
import type { EarningsSeries } from "~/server/services/providers/earnings-series";

const WIDTH = 720;
const HEIGHT = 140;

function label(iso: string, bucket: "hour" | "day"): string {
  return bucket === "hour" ? `${iso.slice(11, 13)}:00` : iso.slice(5, 10);
}

/**
 * Earnings as SVG bars, one per hour or day. The picture is decorative for assistive
 * technology: the text summary under it says the same in words.
 */
export function EarningsChart({ series, id }: { series: EarningsSeries; id: string }) {
  const amounts = series.points.map((p) => BigInt(p.amount));
  const max = amounts.reduce((m, a) => (a > m ? a : m), 0n);
  const slot = WIDTH / series.points.length;
  const unit = series.bucket === "hour" ? "hour" : "day";
  const span = series.bucket === "hour" ? "the last 24 hours" : "the last 14 days";
  let best = -1;
  amounts.forEach((a, i) => {
    if (a > 0n && (best < 0 || a > (amounts[best] ?? 0n))) best = i;
  });
  const bestPoint = best >= 0 ? series.points[best] : undefined;
  const summary =
    max === 0n
      ? `Nothing earned in ${span}.`
      : `${formatTokens(series.total)} tokens earned in ${span}; the best ${unit} was ${bestPoint ? `${label(bestPoint.start, series.bucket)} UTC` : ""} with ${formatTokens(bestPoint?.amount ?? "0")} tokens.`;
  const every = series.bucket === "hour" ? 6 : 2;
  return (
    <figure className="my-3">
      {max === 0n ? null : (
        <>
          <div className="grid grid-cols-[auto_1fr] gap-x-2">
            {/* The y-axis: tokens at the top, the middle and zero of the bars beside it. */}
            <div
              className="flex h-30 flex-col justify-between text-right text-xs whitespace-nowrap text-muted"
              aria-hidden="true"
              data-y-axis
            >
              <span>{formatTokens(max)}</span>
              <span>{formatTokens(max / 2n)}</span>
              <span>0</span>
            </div>
            <svg
              className="block h-30 w-full min-w-0"
              viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
              preserveAspectRatio="none"
              aria-hidden="true"
              focusable="false"
            >
              {[1, HEIGHT / 2].map((y) => (
                <line key={y} x1={0} x2={WIDTH} y1={y} y2={y} className="stroke-line" strokeDasharray="4 4" />
              ))}
              {series.points.map((p, i) => {
                const a = BigInt(p.amount);
                const h = Math.max(a > 0n ? 2 : 0, Number((a * BigInt(HEIGHT - 2)) / max));
                return (
                  <rect key={p.start} className="fill-chart" x={i * slot + 2} y={HEIGHT - h} width={Math.max(1, slot - 4)} height={h} />
                );
              })}
              <line x1={0} x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="stroke-line-strong" />
            </svg>
            <span aria-hidden="true" />
            <div
              className="mt-0.5 mb-1.5 grid text-xs whitespace-nowrap text-muted"
              aria-hidden="true"
              style={{ gridTemplateColumns: `repeat(${series.points.length}, 1fr)` }}
            >
              {series.points.map((p, i) => (
                <span key={p.start}>{i % every === 0 ? label(p.start, series.bucket) : ""}</span>
              ))}
            </div>
          </div>
          <p className="mt-0.5 text-xs text-muted" aria-hidden="true">
            Tokens earned per {unit} (UTC)
          </p>
        </>
      )}
      <figcaption
        id={id}
        data-chart-summary
        className={max === 0n ? "rounded-lg border border-dashed border-line-strong bg-white px-4 py-3 text-sm text-muted" : "text-sm"}
      >
        {summary}
      </figcaption>
    </figure>
  );
}
